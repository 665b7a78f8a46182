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
/// The kept keys go to a scratch file (``ScratchFolder``) in blocks of
/// ``spillRows`` as they come, and are read back only when the ordered rows
/// start: a run that streams all its rows (up to
/// ``IngestOptions/defaultStreamedRows``, 2^20) never holds them in memory
/// (24 MB at a million rows). When no scratch file can be made or written
/// (a read-only or full temporary folder), the keys stay in memory.
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

    /// Kept keys (or rows, for other keys) held in memory before they go
    /// to the scratch file as one block.
    static let spillRows = 65_536
    /// Whether the view has one `int64` join key (kept as ``RowKey``s).
    private let isSingleInt: Bool
    /// The view the rows are of.
    private let view: FeatureView
    /// The keys of the rows written without the promise of order (one
    /// `int64` key): since the last spill until the ordered rows start,
    /// then all of them, sorted.
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
    /// Where kept keys in blocks of ``spillRows`` wait for the ordered rows,
    /// made at the first spill and removed when the checks go.
    private var scratch: (folder: ScratchFolder, file: ScratchFile)?
    /// The rows whose keys are in the scratch file.
    private(set) var spilledRows = 0
    /// Where the scratch file's last whole block ends.
    private var spilledBytes = 0
    /// Where the scratch folder goes (nil: the system temporary folder).
    private let scratchParent: String?

    /// The checks for a run of `view`, spilling into a folder made in
    /// `scratchParent` (nil: the system temporary folder).
    package init(view: FeatureView, scratchParent: String? = nil) {
        self.view = view
        self.scratchParent = scratchParent
        isSingleInt = view.joinKeys.count == 1 && view.joinKeys[0].type == .int64
        unorderedRows = WriteBatch(view: view)
    }

    /// Keeps the key of row `row` of `batch`, written without the promise
    /// of order (so that an ordered row repeating it is found).
    @inline(__always)
    package mutating func wroteUnordered(_ row: Int, of batch: WriteBatch) {
        sorted = false
        if isSingleInt {
            unordered.append(RowKey(key: batch.keys[0].ints[row], event: batch.eventTimes[row], created: batch.createdTimes[row]))
            if unordered.count == Self.spillRows { spill() }
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
        if unorderedRows.count == Self.spillRows { spill() }
    }

    /// Appends the keys held in memory to the scratch file as one block;
    /// when that fails, they stay where they are (and so do the later ones:
    /// the count never meets ``spillRows`` again).
    private mutating func spill() {
        var bytes: [UInt8] = []
        if isSingleInt {
            bytes = unordered.withUnsafeBytes { Array($0) }
        } else {
            SpillCodec.encode(unorderedRows, raw: nil, into: &bytes)
        }
        do {
            if scratch == nil {
                let folder = try ScratchFolder(parent: scratchParent)
                scratch = (folder, try folder.file(named: "kept-keys"))
            }
            try scratch!.file.append(block: bytes)
        } catch {
            return
        }
        spilledBytes = scratch!.file.size
        if isSingleInt {
            spilledRows += unordered.count
            unordered.removeAll(keepingCapacity: true)
        } else {
            spilledRows += unorderedRows.count
            unorderedRows = WriteBatch(view: view)
        }
    }

    /// Reads the spilled keys back into memory, after those already there,
    /// and removes the scratch file.
    private mutating func readSpilled() throws(LarderError) {
        guard let (folder, file) = scratch else { return }
        var offset = 0
        while offset < spilledBytes {
            let (bytes, after) = try file.block(at: offset)
            offset = after
            if isSingleInt {
                bytes.withUnsafeBytes { unordered.append(contentsOf: $0.bindMemory(to: RowKey.self)) }
            } else {
                var rows = SpillCodec.decode(bytes, view: view, hasRaw: false).0
                rows.features = unorderedRows.features // none are kept: empty columns
                unorderedRows.append(contentsOf: rows)
            }
        }
        folder.remove()
        scratch = nil
        (spilledRows, spilledBytes) = (0, 0)
    }

    /// Gets ready for the ordered `batch`, whose rows are then checked in
    /// order with ``repeatsEarlierRow(_:of:file:)``: reads back and sorts
    /// the kept keys when some came since the last ordered batch.
    ///
    /// - Throws: when the scratch file cannot be read.
    package mutating func startOrderedBatch(_ batch: WriteBatch) throws(LarderError) {
        if !isSingleInt {
            if lastInCurrent { (previous, lastInCurrent) = (current, false) }
            current = batch
        }
        guard !sorted else { return }
        try readSpilled()
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
