#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file of length-prefixed blocks, written once in order and then read
/// back block by block by the process that wrote it (see ``ScratchFolder``,
/// which deletes it).
final class ScratchFile {
    /// Where the file is.
    let path: String
    /// The open file (-1 once deleted).
    private var descriptor: Int32
    /// Bytes written so far: where the next block goes.
    private(set) var size = 0

    /// Creates `path`, which must not exist (mode 0600).
    init(path: String) throws(LarderError) {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io(path: path, message: "cannot create a scratch file: \(FilePath.lastError())") }
    }

    deinit { delete() }

    /// Appends one block.
    func append(block: [UInt8]) throws(LarderError) {
        try write(withUnsafeBytes(of: block.count) { Array($0) })
        try write(block)
    }

    /// The block that starts at `offset`, and the offset of the next one.
    func block(at offset: Int) throws(LarderError) -> (bytes: [UInt8], next: Int) {
        let header = try read(count: MemoryLayout<Int>.size, at: offset)
        let length = header.withUnsafeBytes { $0.loadUnaligned(as: Int.self) }
        return (try read(count: length, at: offset + header.count), offset + header.count + length)
    }

    /// Closes and unlinks the file; harmless when repeated.
    func delete() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(path)
    }

    /// Writes all of `bytes` at the end.
    private func write(_ bytes: [UInt8]) throws(LarderError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, $0.count - done, off_t(size + done)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, message: "cannot write a scratch file: \(FilePath.lastError())")
            }
            done += n
        }
        size += bytes.count
    }

    /// `count` bytes from `offset`.
    private func read(count: Int, at offset: Int) throws(LarderError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, $0.count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io(path: path, message: "cannot read a scratch file: \(n < 0 ? FilePath.lastError() : "it ended early")") }
            done += n
        }
        return bytes
    }
}
