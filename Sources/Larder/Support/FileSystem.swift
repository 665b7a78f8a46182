#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system questions Larder asks, answered with POSIX calls.
enum FileSystem {
    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
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

    /// Reads a whole (small) file as UTF-8 text.
    static func readText(_ path: String) throws(LarderError) -> String {
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
