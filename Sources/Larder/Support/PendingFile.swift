#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears complete or not at all: its bytes go to a temporary
/// file beside the target (same folder, so the same file system), which
/// ``commit()`` flushes to disk and renames over the target. A pending file
/// that is never committed is removed, and the target is left as it was.
///
/// `@unchecked Sendable`: one thread at a time owns a pending file; handing
/// it to another thread (an export's writer thread) hands over its use.
final class PendingFile: @unchecked Sendable {
    /// The path the file will have once committed.
    let target: String
    /// The temporary file's path, beside the target.
    let temporaryPath: String
    /// The temporary file, open for writing; -1 once closed.
    private(set) var descriptor: Int32
    /// Whether the file was committed or discarded: nothing more to do.
    private var settled = false

    /// Creates the temporary file `.NAME.tmp-XXXXXX` beside `target`, with
    /// the permissions a new file gets (0666 less the umask).
    init(target: String) throws(LarderError) {
        let (folder, name) = FilePath.split(target)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var random = SplitMix64(seed: UInt64(truncatingIfNeeded: now.tv_nsec) ^ UInt64(truncatingIfNeeded: now.tv_sec) << 30
            ^ UInt64(UInt32(bitPattern: getpid())) << 40)
        for _ in 0..<100 {
            let suffix = String(random.next() % 0x1_0000_0000, radix: 36)
            let path = folder + "/." + name + ".tmp-" + suffix
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if fd >= 0 {
                self.target = target
                temporaryPath = path
                descriptor = fd
                return
            }
            if errno != EEXIST { throw .io(path: target, message: "cannot create a temporary file in \(folder): \(FilePath.lastError())") }
        }
        throw .io(path: target, message: "cannot create a temporary file in \(folder): too many name clashes")
    }

    deinit { discard() }

    /// Flushes the file to disk, closes it and renames it over the target:
    /// from here on the target holds the complete file.
    func commit() throws(LarderError) {
        guard !settled else { return }
        if descriptor >= 0 {
            let synced = fsync(descriptor) == 0
            let closed = close(descriptor) == 0
            descriptor = -1
            guard synced, closed else { throw .io(path: target, message: "cannot write: \(FilePath.lastError())") }
        }
        guard rename(temporaryPath, target) == 0 else {
            throw .io(path: target, message: "cannot rename \(temporaryPath) into place: \(FilePath.lastError())")
        }
        settled = true
    }

    /// Closes and removes the temporary file (nothing once committed).
    func discard() {
        guard !settled else { return }
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
        settled = true
    }
}
