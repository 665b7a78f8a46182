#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// The file at `path` mapped read-only, or `nil` when it cannot be
    /// opened or mapped (missing, unreadable, empty).
    static func map(path: String) -> Region? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size > 0 else { return nil }
        let size = Int(status.st_size)
        guard let memory = mmap(nil, size, PROT_READ, MAP_SHARED, descriptor, 0), memory != MAP_FAILED else { return nil }
        return Region(base: UnsafeRawPointer(memory), byteCount: size, isMapped: true)
    }

    /// The values of type `T` starting at byte `offset`.
    @inline(__always) func pointer<T>(at offset: Int, as type: T.Type) -> UnsafePointer<T> {
        (base + offset).assumingMemoryBound(to: T.self)
    }
}
