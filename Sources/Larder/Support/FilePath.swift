#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paths as the file system sees them: which file a path names (device and
/// inode, so two spellings or a hard link of one file compare equal), and a
/// canonical spelling for files that do not exist yet.
enum FilePath {
    /// A file's identity: its device and inode numbers.
    struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    /// The identity of the file `path` names (following symbolic links), or
    /// nil when there is none.
    static func identity(_ path: String) -> Identity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Identity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Whether `path` names a directory.
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// The folder of `path` and the name in it: `a/b.csv` → (`a`, `b.csv`),
    /// `b.csv` → (`.`, `b.csv`).
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// `path` with its folder resolved to an absolute path without symbolic
    /// links (the file itself need not exist), so that two spellings of one
    /// place compare equal. A folder that does not exist is kept as spelled.
    static func canonical(_ path: String) -> String {
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        let (folder, name) = split(path)
        guard let resolved = realpath(folder, nil) else { return path }
        defer { free(resolved) }
        let base = String(cString: resolved)
        return (base == "/" ? "" : base) + "/" + name
    }

    /// Whether `a` and `b` name the same file: the same identity when both
    /// exist, else the same canonical spelling.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        if let x = identity(a), let y = identity(b) { return x == y }
        return canonical(a) == canonical(b)
    }

    /// The text of the last system error (`errno`).
    static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
