#if canImport(Glibc)
import Glibc
#endif

/// The operating system's page cache.
enum PageCache {
    /// Writes dirty pages out, then drops the whole machine's page cache
    /// (`echo 3 > /proc/sys/vm/drop_caches`, root only), so that the next
    /// process reads its files from disk.
    ///
    /// - Returns: `nil` when the cache was dropped, otherwise why not.
    static func drop() -> String? {
        sync()
        let fd = open("/proc/sys/vm/drop_caches", O_WRONLY)
        guard fd >= 0 else { return "cannot open /proc/sys/vm/drop_caches: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let written = write(fd, "3\n", 2)
        return written == 2 ? nil : "cannot write /proc/sys/vm/drop_caches: \(String(cString: strerror(errno)))"
    }
}
