#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system questions Larder asks, answered with POSIX calls.
/// Public for the CLI, which asks the same ones.
package enum FileSystem {
    /// Whether something exists at `path`.
    package static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The size in bytes of the file at `path` (0 when it cannot be read).
    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Whether this process may create and write files in the folder `path`.
    static func isWritable(_ path: String) -> Bool {
        access(path, W_OK) == 0
    }

    /// Writes `text` to `path`, replacing the file.
    package static func writeText(_ path: String, _ text: String) throws(LarderError) {
        guard let file = fopen(path, "wb") else { throw .io(path: path, message: String(cString: strerror(errno))) }
        let bytes = Array(text.utf8)
        let written = fwrite(bytes, 1, bytes.count, file)
        guard fclose(file) == 0, written == bytes.count else { throw .io(path: path, message: String(cString: strerror(errno))) }
    }

    /// Reads a whole (small) file as UTF-8 text.
    package static func readText(_ path: String) throws(LarderError) -> String {
        guard let file = fopen(path, "rb") else {
            throw .io(path: path, message: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n > 0 { bytes.append(contentsOf: buffer[0..<n]) }
            if n < buffer.count {
                if ferror(file) != 0 { throw .io(path: path, message: String(cString: strerror(errno))) }
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
