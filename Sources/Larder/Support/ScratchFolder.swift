#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private folder of scratch files, `larder-spill-XXXXXX` in the system
/// temporary folder (`$TMPDIR`, else `/tmp`), removed with everything in it
/// by ``remove()`` or when the folder is released. Only a killed process
/// leaves one behind, and its name says whose it is.
final class ScratchFolder {
    /// The folder's path.
    let path: String
    /// The files made in it, removed with it.
    private var files: [ScratchFile] = []

    /// Creates the folder (mode 0700) in `parent`, or in the system temporary folder when nil.
    init(parent: String? = nil) throws(LarderError) {
        let base = parent ?? ScratchFolder.systemTemporaryFolder
        var template = Array("\(base)/larder-spill-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .io(path: base, message: "cannot create a scratch folder: \(FilePath.lastError())")
        }
        path = String(cString: made)
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
        rmdir(path)
    }
}
