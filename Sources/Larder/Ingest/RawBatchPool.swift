import Synchronization

/// Emptied ``RawBatch``es handed back from the typing thread to the reader,
/// so that a whole file is split into a few batches' worth of buffers
/// (which keep their capacity) rather than a fresh set per batch.
final class RawBatchPool: Sendable {
    /// The batches waiting to be reused.
    private let spare = Mutex<[RawBatch]>([])

    /// An empty pool.
    init() {}

    /// A batch to fill: a spare one when there is one, else a new one.
    func take() -> RawBatch {
        spare.withLock { $0.popLast() } ?? RawBatch()
    }

    /// Gives `batch`, whose rows have been used, back for reuse.
    func put(_ batch: RawBatch) {
        spare.withLock { $0.append(batch) }
    }
}
