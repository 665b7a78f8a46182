#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A block of read-only memory that the cache's data lives in: a snapshot
/// file mapped with `mmap` (shared with every process that maps it, through
/// the operating system's page cache), or memory this process allocated
/// (a snapshot that could not be written to a file, or a small delta).
///
/// Readers hold typed pointers into a region; whoever holds them also holds
/// the region (a ``ViewSnapshot``, a ``StoredColumn``), which unmaps or
/// frees the memory when the last holder lets go.
///
/// `@unchecked Sendable`: the memory is never written after it is handed
/// out, so any thread may read it.
final class Region: @unchecked Sendable {
    /// The first byte (8-byte aligned).
    let base: UnsafeRawPointer
    /// The number of bytes.
    let byteCount: Int
    /// Whether the bytes are a mapped file (unmapped on release) rather than
    /// allocated memory (freed on release).
    let isMapped: Bool

    private init(base: UnsafeRawPointer, byteCount: Int, isMapped: Bool) {
        self.base = base
        self.byteCount = byteCount
        self.isMapped = isMapped
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), byteCount)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    /// `byteCount` bytes (at least 8) of new memory, filled by `fill`
    /// before anyone can read them.
    static func allocate(byteCount: Int, _ fill: (UnsafeMutableRawPointer) -> Void) -> Region {
        let size = max(8, byteCount)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        fill(memory)
        return Region(base: UnsafeRawPointer(memory), byteCount: size, isMapped: false)
    }

    /// How the pages of a mapped file that are not in memory yet are read.
    enum AccessPattern {
        /// Only the page a read touches (`MADV_RANDOM`): a few lookups cost
        /// a few 4 KB reads, rather than the device's read-ahead window
        /// each (8 MB on some virtual disks, about 4.5 ms per page fault).
        case pointReads
        /// The page and those around it (`MADV_NORMAL`): what scans need.
        case scans
    }

    /// Tells the operating system how this process is about to read the
    /// mapped file (every thread of it). Nothing for allocated memory.
    func advise(_ pattern: AccessPattern) {
        guard isMapped else { return }
        if pattern == .pointReads { pointReadAdvice.add(1, ordering: .relaxed) }
        madvise(UnsafeMutableRawPointer(mutating: base), byteCount, pattern == .pointReads ? MADV_RANDOM : MADV_NORMAL)
    }

    /// Lets go of this process's pages of the mapped file that lie wholly
    /// in `range` (bytes from ``base``; `MADV_DONTNEED`): they leave its
    /// resident memory but stay in the page cache, and a later read maps
    /// them again. Nothing for allocated memory.
    ///
    /// - Returns: the end of the last whole page in `range` (where the
    ///   next release of the pages that follow starts).
    @discardableResult
    func release(_ range: Range<Int>) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page, end = min(range.upperBound, byteCount) / page * page
        guard isMapped, start < end else { return max(range.lowerBound, end) }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
        return end
    }

    /// The times ``advise(_:)`` asked for point reads of this mapped file
    /// so far: what tests check.
    let pointReadAdvice = Atomic<Int>(0)

    /// The file at `path` mapped read-only, advised for point reads (its
    /// reader checks a header and a few array ends first), or `nil` when it
    /// cannot be opened or mapped (missing, unreadable, empty).
    static func map(path: String) -> Region? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return nil }
        let size = Int(status.st_size)
        guard let memory = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), memory != MAP_FAILED else { return nil }
        let region = Region(base: UnsafeRawPointer(memory), byteCount: size, isMapped: true)
        region.advise(.pointReads)
        return region
    }

    /// The values of type `T` starting at byte `offset`.
    @inline(__always) func pointer<T>(at offset: Int, as type: T.Type) -> UnsafePointer<T> {
        (base + offset).assumingMemoryBound(to: T.self)
    }
}
