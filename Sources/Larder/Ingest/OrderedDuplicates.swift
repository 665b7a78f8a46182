/// Finds the duplicates of a run's ordered batches before they are written
/// (``RunSink/write(_:ordered:log:file:)``), for a view with one `int64`
/// join key: a row repeats `(key, event_timestamp, created_timestamp)` of
/// the ordered row before it (the ordered rows come in key order), or of
/// a row written earlier in the run without that promise (their keys are
/// kept here, sorted once when the ordered rows start, and walked beside
/// them). A writer that checks every ordered row here can insert them
/// without asking the store about each one: SQLite's writer many rows a
/// statement, PostgreSQL's without a savepoint per batch.
///
/// Which of two equal rows is kept is the one written first, as when the
/// store finds the duplicate.
package struct OrderedDuplicates {
    /// A row's primary key within the run.
    struct RowKey: Comparable {
        let key: Int64, event: Int64, created: Int64

        static func < (a: RowKey, b: RowKey) -> Bool {
            (a.key, a.event, a.created) < (b.key, b.event, b.created)
        }
    }

    /// Whether the view has one `int64` join key: only then does this apply
    /// (and keep anything).
    package let applies: Bool
    /// The keys of the rows written without the promise of order.
    private var unordered: [RowKey] = []
    /// Whether ``unordered`` is sorted.
    private var sorted = true
    /// The last ordered row found not to be a duplicate.
    private var last: RowKey?
    /// The first position in ``unordered`` not below the current ordered row.
    private var next = 0

    /// The checks for a run of `view`.
    package init(view: FeatureView) {
        applies = view.joinKeys.count == 1 && view.joinKeys[0].type == .int64
    }

    /// Keeps the key of row `row` of `batch`, written without the promise
    /// of order (so that an ordered row repeating it is found).
    @inline(__always)
    package mutating func wroteUnordered(_ row: Int, of batch: WriteBatch) {
        guard applies else { return }
        unordered.append(RowKey(key: batch.keys[0].ints[row], event: batch.eventTimes[row], created: batch.createdTimes[row]))
        sorted = false
    }

    /// Gets ready for an ordered batch: sorts the unordered keys when some
    /// came since the last ordered batch.
    package mutating func startOrderedBatch() {
        guard !sorted else { return }
        unordered.sort()
        sorted = true
        next = 0
        if let last { while next < unordered.count && unordered[next] <= last { next += 1 } }
    }

    /// Whether row `row` of an ordered `batch` repeats a row written
    /// before it; when it does not, it becomes the row the next one is
    /// compared with.
    ///
    /// - Throws: when the row comes before the last ordered row: the
    ///   batches broke the promise of order, and the run must fail rather
    ///   than risk a duplicate nobody reports.
    package mutating func repeatsEarlierRow(_ row: Int, of batch: WriteBatch, file: String) throws(LarderError) -> Bool {
        let key = RowKey(key: batch.keys[0].ints[row], event: batch.eventTimes[row], created: batch.createdTimes[row])
        if let last, key <= last {
            guard key == last else { throw Self.brokenOrder(row, of: batch, file: file) }
            return true
        }
        while next < unordered.count && unordered[next] < key { next += 1 }
        if next < unordered.count && unordered[next] == key { return true }
        last = key
        return false
    }

    /// The error of row `row` of an ordered batch found out of order, or
    /// refused by the store as a duplicate after all: a broken promise,
    /// never bad input, so the run fails and nothing is written.
    package static func brokenOrder(_ row: Int, of batch: WriteBatch, file: String) -> LarderError {
        LarderError(.storage, "\(file): line \(batch.lines[row]): a sorted batch of the run is out of primary-key order; nothing was written")
    }
}
