/// Finds the duplicates of a run's ordered batches before they are written
/// (``RunSink/write(_:ordered:log:file:)``): a row repeats `(keys,
/// event_timestamp, created_timestamp)` of the ordered row before it (the
/// ordered rows come in primary-key order), or of a row written earlier in
/// the run without that promise (their keys are kept here, sorted once when
/// the ordered rows start, and walked beside them). A writer that checks
/// every ordered row here can insert them without asking the store about
/// each one: SQLite's writer many rows a statement, PostgreSQL's without a
/// savepoint per batch.
///
/// A view with one `int64` join key keeps each row's key as three words
/// (``RowKey``); any other key (`string`, composite) keeps the key columns
/// of the rows written without the promise, and compares rows in their
/// batches (``WriteBatch/compare(_:_:_:)``, SQLite's key order).
///
/// Which of two equal rows is kept is the one written first, as when the
/// store finds the duplicate.
package struct OrderedDuplicates {
    /// A row's primary key within the run, for a view with one `int64` join key.
    struct RowKey: Comparable {
        let key: Int64, event: Int64, created: Int64

        static func < (a: RowKey, b: RowKey) -> Bool {
            (a.key, a.event, a.created) < (b.key, b.event, b.created)
        }
    }

    /// Kept keys after which the room for them grows to the rows a run
    /// streams (``IngestOptions/defaultStreamedRows``) at once.
    private static let sizingRows = 65_536
    /// Whether the view has one `int64` join key (kept as ``RowKey``s).
    private let isSingleInt: Bool
    /// The keys of the rows written without the promise of order (one `int64` key).
    private(set) var unordered: [RowKey] = []
    /// The last ordered row found not to be a duplicate (one `int64` key).
    private var last: RowKey?
    /// The keys, event and created times of the rows written without the
    /// promise of order (other keys; no features).
    private var unorderedRows: WriteBatch
    /// Positions in ``unorderedRows`` in primary-key order, once sorted.
    private var unorderedOrder: [Int] = []
    /// The ordered batch being checked, and the one before it (other keys):
    /// the last ordered row found not to be a duplicate is row ``lastRow``
    /// of `current` when ``lastInCurrent``, otherwise of `previous`.
    private var current: WriteBatch?, previous: WriteBatch?
    /// See ``current``; -1 before the first ordered row.
    private var lastRow = -1, lastInCurrent = false
    /// Whether the kept keys are sorted.
    private var sorted = true
    /// The first position in the sorted kept keys not below the current ordered row.
    private var next = 0

    /// The checks for a run of `view`.
    package init(view: FeatureView) {
        isSingleInt = view.joinKeys.count == 1 && view.joinKeys[0].type == .int64
        unorderedRows = WriteBatch(view: view)
    }

    /// Keeps the key of row `row` of `batch`, written without the promise
    /// of order (so that an ordered row repeating it is found).
    @inline(__always)
    package mutating func wroteUnordered(_ row: Int, of batch: WriteBatch) {
        sorted = false
        if isSingleInt {
            if unordered.count == unordered.capacity, unordered.count >= Self.sizingRows {
                // Room for the rows a run streams by default at once: doubling would copy the keys
                // and keep up to half as much again (unwritten room costs no memory).
                unordered.reserveCapacity(max(IngestOptions.defaultStreamedRows, 2 * unordered.count))
            }
            unordered.append(RowKey(key: batch.keys[0].ints[row], event: batch.eventTimes[row], created: batch.createdTimes[row]))
            return
        }
        for (k, key) in batch.keys.enumerated() {
            if key.type == .int64 {
                unorderedRows.keys[k].append(key.ints[row])
            } else {
                key.byteSlice(row).withUnsafeBytes { unorderedRows.keys[k].append(bytes: $0) }
            }
        }
        unorderedRows.eventTimes.append(batch.eventTimes[row])
        unorderedRows.createdTimes.append(batch.createdTimes[row])
    }

    /// Gets ready for the ordered `batch`, whose rows are then checked in
    /// order with ``repeatsEarlierRow(_:of:file:)``: sorts the kept keys
    /// when some came since the last ordered batch.
    package mutating func startOrderedBatch(_ batch: WriteBatch) {
        if !isSingleInt {
            if lastInCurrent { (previous, lastInCurrent) = (current, false) }
            current = batch
        }
        guard !sorted else { return }
        sorted = true
        next = 0
        if isSingleInt {
            unordered.sort()
            if let last { while next < unordered.count && unordered[next] <= last { next += 1 } }
        } else {
            unorderedOrder = unorderedRows.primaryKeyOrder()
            guard lastRow >= 0, let previous else { return }
            while next < unorderedOrder.count && unorderedRows.compare(unorderedOrder[next], previous, lastRow) <= 0 { next += 1 }
        }
    }

    /// Whether row `row` of the ordered `batch` (the one given to
    /// ``startOrderedBatch(_:)``) repeats a row written before it; when it
    /// does not, it becomes the row the next one is compared with.
    ///
    /// - Throws: when the row comes before the last ordered row: the
    ///   batches broke the promise of order, and the run must fail rather
    ///   than risk a duplicate nobody reports.
    package mutating func repeatsEarlierRow(_ row: Int, of batch: WriteBatch, file: String) throws(LarderError) -> Bool {
        guard isSingleInt else { return try rowRepeatsEarlierRow(row, of: batch, file: file) }
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

    /// ``repeatsEarlierRow(_:of:file:)`` for a key other than one `int64`.
    private mutating func rowRepeatsEarlierRow(_ row: Int, of batch: WriteBatch, file: String) throws(LarderError) -> Bool {
        if lastRow >= 0 {
            let order = lastInCurrent ? batch.compare(row, batch, lastRow) : batch.compare(row, previous!, lastRow)
            if order <= 0 {
                guard order == 0 else { throw Self.brokenOrder(row, of: batch, file: file) }
                return true
            }
        }
        while next < unorderedOrder.count && unorderedRows.compare(unorderedOrder[next], batch, row) < 0 { next += 1 }
        if next < unorderedOrder.count && unorderedRows.compare(unorderedOrder[next], batch, row) == 0 { return true }
        (lastRow, lastInCurrent) = (row, true)
        return false
    }

    /// The error of row `row` of an ordered batch found out of order, or
    /// refused by the store as a duplicate after all: a broken promise,
    /// never bad input, so the run fails and nothing is written.
    package static func brokenOrder(_ row: Int, of batch: WriteBatch, file: String) -> LarderError {
        LarderError(.storage, "\(file): line \(batch.lines[row]): a sorted batch of the run is out of primary-key order; nothing was written")
    }
}
