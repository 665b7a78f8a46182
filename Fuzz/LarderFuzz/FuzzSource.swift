#if canImport(Glibc)
import Glibc
#endif
@testable import Larder

/// Byte sources over a fuzz payload, the two ways Larder reads input.
enum FuzzSource {
    /// A source over `bytes`: held in memory when `chunkSize` is nil (an
    /// HTTP body), otherwise read through a pipe `chunkSize` bytes at a time
    /// so that records straddle refills (a file or stdin). A payload larger
    /// than the pipe's buffer is held in memory instead.
    static func make(_ bytes: UnsafeRawBufferPointer, chunkSize: Int?) throws(LarderError) -> ByteSource {
        var ends: [Int32] = [-1, -1]
        guard let chunkSize, pipe(&ends) == 0 else {
            return ByteSource(bytes: Array(bytes), name: "fuzz")
        }
        defer { close(ends[0]) }
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        let written = bytes.isEmpty ? 0 : write(ends[1], bytes.baseAddress, bytes.count)
        close(ends[1])
        guard written == bytes.count else { return ByteSource(bytes: Array(bytes), name: "fuzz") }
        // Opening the pipe by path gives the source its own, blocking descriptor.
        return try ByteSource(path: "/proc/self/fd/\(ends[0])", chunkSize: chunkSize)
    }
}
