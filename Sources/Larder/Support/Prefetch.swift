import CLarderSupport

/// Software prefetching for loops that read memory at random (joins and
/// gathers over large snapshots): each iteration asks for the cache lines
/// a later iteration will read, so that many misses are in flight at once
/// instead of one at a time.
enum Prefetch {
    /// How many iterations ahead a loop prefetches: enough misses in flight
    /// to cover memory latency, few enough that the lines are still cached
    /// when their iteration comes.
    static let distance = 16

    /// Asks for the cache line holding `address`, for a read soon (a hint:
    /// it never faults, whatever the address).
    @inline(__always) static func read(_ address: UnsafeRawPointer) {
        clarder_prefetch(address)
    }
}
