#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private folder of scratch files, `larder-spill-XXXXXX` in the system
/// temporary folder (`$TMPDIR`, else `/tmp`), removed with everything in it
/// by ``remove()`` or when the folder is released.
///
/// Only a killed process leaves one behind, and the next scratch folder
/// made in the same parent removes it: each folder holds an `owner` file
/// that its process keeps locked (`flock`) while the folder lives, and the
/// kernel drops the lock when the process dies, however it dies. A folder
/// whose `owner` can be locked by someone else is therefore abandoned.
final class ScratchFolder {
    /// The folder's path.
    let path: String
    /// The files made in it, removed with it.
    private var files: [ScratchFile] = []
    /// The open `owner` file, locked while the folder lives (nil when the
    /// file system cannot lock, then a killed process's folder stays).
    private var owner: Int32?
    /// Whether ``remove()`` has run.
    private var removed = false

    /// The prefix of every scratch folder's name.
    static let prefix = "larder-spill-"
    /// The file in a scratch folder that its process keeps locked.
    static let ownerFile = "owner"

    /// Creates the folder (mode 0700) in `parent`, or in the system
    /// temporary folder when nil, after removing the folders there that
    /// killed processes left behind.
    init(parent: String? = nil) throws(LarderError) {
        let base = parent ?? ScratchFolder.systemTemporaryFolder
        var template = Array("\(base)/\(Self.prefix)XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io(path: base, message: "cannot create a scratch folder: \(FilePath.lastError())")
        }
        path = String(cString: made)
        // Locked under another name, then renamed: a sweeper that sees `owner` sees it locked.
        let locking = path + "/owner.new"
        let file = open(locking, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if file >= 0, flock(file, LOCK_EX | LOCK_NB) == 0, rename(locking, path + "/" + Self.ownerFile) == 0 {
            owner = file
        } else if file >= 0 {
            close(file)
            unlink(locking)
        }
        Self.removeAbandoned(in: base, except: path)
    }

    deinit { remove() }

    /// `$TMPDIR` when set, else `/tmp`.
    static var systemTemporaryFolder: String {
        if let dir = getenv("TMPDIR"), dir.pointee != 0 { return String(cString: dir) }
        return "/tmp"
    }

    /// A new empty file `name` in the folder.
    func file(named name: String) throws(LarderError) -> ScratchFile {
        let file = try ScratchFile(path: path + "/" + name)
        files.append(file)
        return file
    }

    /// Closes and deletes every file, then the folder; harmless when repeated.
    func remove() {
        for file in files { file.delete() }
        files.removeAll()
        guard !removed else { return }
        removed = true
        if let owner {
            unlink(path + "/" + Self.ownerFile)
            close(owner)
        }
        rmdir(path)
    }

    /// Removes the scratch folders in `parent` (other than `kept`) whose
    /// process has died: their `owner` file exists and is not locked. A
    /// folder without one (being made, or made before owners were locked),
    /// one that is not a real folder of this user, and anything that cannot
    /// be read are left alone. Every step goes through the folder's own
    /// descriptor, so a folder swapped for a link meanwhile is not followed.
    static func removeAbandoned(in parent: String, except kept: String) {
        let names = entries(of: opendir(parent)).filter { $0.hasPrefix(prefix) && parent + "/" + $0 != kept }
        for name in names {
            let folder = open(parent + "/" + name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard folder >= 0 else { continue }
            defer { close(folder) }
            var status = stat()
            guard fstat(folder, &status) == 0, status.st_uid == geteuid() else { continue }
            let lock = openat(folder, ownerFile, O_RDWR | O_NOFOLLOW | O_CLOEXEC)
            guard lock >= 0 else { continue }
            defer { close(lock) }
            guard flock(lock, LOCK_EX | LOCK_NB) == 0 else { continue } // its process is alive
            let copy = dup(folder)
            guard copy >= 0 else { continue }
            guard let listing = fdopendir(copy) else {
                close(copy)
                continue
            }
            for file in entries(of: listing) { unlinkat(folder, file, 0) }
            rmdir(parent + "/" + name)
        }
    }

    /// The names in an open folder listing (closed here), but `.` and `..`;
    /// none when it is nil.
    private static func entries(of dir: OpaquePointer?) -> [String] {
        guard let dir else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
