/// The rows of one view version in memory, column-wise and immutable: what
/// the point-in-time rule runs over when the view is cached.
///
/// Rows are sorted by key, then by `(event_timestamp, created_timestamp,
/// __run_id)` — the table's primary key order — so the rows of one key are
/// a contiguous range (found through ``keys``) ordered by the rule's
/// tie-break, and the answer at time T is found by a binary search.
///
/// A snapshot is never changed: a refresh builds a new one (see
/// ``merging(_:)``) and the cache swaps it in, so a reader that holds a
/// snapshot reads it without locks.
final class ViewSnapshot: Sendable {
    /// The view version the rows belong to.
    let view: FeatureView
    /// The view version's registry id and creation time: its identity.
    let viewID: Int64, viewCreatedAt: Int64
    /// The view's TTL in µs (0 = none).
    let ttl: Int64
    /// The distinct keys, their row ranges, the hash index and each key's
    /// latest-row record.
    let keys: KeyIndex
    /// `event_timestamp` of each row.
    let eventTimes: [Int64]
    /// `created_timestamp` of each row.
    let createdTimes: [Int64]
    /// `__run_id` of each row.
    let runIDs: [Int64]
    /// One column per feature of the view, in the view's order.
    let features: [Column]
    /// The memory the snapshot's buffers hold, in bytes: the key index, the
    /// event time, created time and run id columns, and the feature columns.
    let byteCount: Int
    /// The most rows a snapshot holds: rows are numbered with `Int32` (see
    /// ``PartAnswer``) and `UInt32` (see ``KeyIndex``). A view version with
    /// more is answered from SQLite.
    static let maxRows = Int(Int32.max)

    init(view: FeatureView, keys: KeyIndex, eventTimes: [Int64], createdTimes: [Int64], runIDs: [Int64], features: [Column]) {
        self.view = view
        self.viewID = view.id
        self.viewCreatedAt = view.createdAt.microseconds
        self.ttl = view.ttl
        self.keys = keys
        self.eventTimes = eventTimes
        self.createdTimes = createdTimes
        self.runIDs = runIDs
        self.features = features
        self.byteCount = keys.byteCount + eventTimes.count * 24 + features.reduce(0) { $0 + $1.byteCount }
    }

    /// The number of rows.
    var rowCount: Int { eventTimes.count }

    /// Whether this snapshot holds the rows of the view version `id` created
    /// at `createdAt` (the same stored version: a version dropped and created
    /// again is another one).
    @inline(__always) func holds(id: Int64, createdAt: Int64) -> Bool {
        viewID == id && viewCreatedAt == createdAt
    }
}

extension ViewSnapshot {
    /// Reads `view`'s table in one scan in primary-key order (so no sort is
    /// needed), straight into typed buffers: every row, or with `afterRun`
    /// only the rows of runs with a greater id (a delta).
    ///
    /// - Returns: the snapshot, or `nil` as soon as it would hold more than
    ///   `byteLimit` bytes or ``maxRows`` rows.
    /// - Complexity: O(n) in the rows of the table.
    static func load(_ view: FeatureView, db: Connection, afterRun: Int64?, byteLimit: Int) throws(SQLiteError) -> ViewSnapshot? {
        let keys = view.joinKeys.map { Identifier.quoted($0.name) }
        let columns = keys + ["event_timestamp", "created_timestamp", ViewTable.runColumn] + view.features.map { Identifier.quoted($0.name) }
        let filter = afterRun == nil ? "" : " WHERE \(ViewTable.runColumn) > ?1"
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(Identifier.quoted(view.tableName))\(filter)"
            + " ORDER BY \((keys + ["event_timestamp", "created_timestamp", ViewTable.runColumn]).joined(separator: ", "))"
        let statement = try db.statement(sql)
        defer { statement.reset() }
        if let afterRun { statement.bind(afterRun, at: 1) }
        var builder = SnapshotBuilder(view: view)
        while try statement.step() {
            builder.appendRow(from: statement)
            if builder.rowCount & 4095 == 0, builder.byteCount > byteLimit || builder.rowCount > maxRows { return nil }
        }
        let snapshot = builder.finish()
        return snapshot.byteCount > byteLimit ? nil : snapshot
    }

    /// This snapshot with the rows of `delta` (a snapshot of the same view
    /// holding only rows of later runs) merged in: a merge of two sorted
    /// sequences, keys first, then each shared key's rows by `(event,
    /// created, run)`. Runs of keys found on one side only are copied a
    /// whole block of rows at a time.
    ///
    /// - Complexity: O(n + m) in the rows of both.
    func merging(_ delta: ViewSnapshot) -> ViewSnapshot {
        var builder = SnapshotBuilder(view: view, capacity: rowCount + delta.rowCount)
        var i = 0, j = 0
        while i < keys.count || j < delta.keys.count {
            let order = i == keys.count ? 1 : j == delta.keys.count ? -1
                : KeyIndex.compare(keys.keys, i, delta.keys.keys, j)
            if order < 0 {
                // Keys only here, up to the next delta key.
                var end = i + 1
                while end < keys.count, j == delta.keys.count || KeyIndex.compare(keys.keys, end, delta.keys.keys, j) < 0 { end += 1 }
                builder.appendKeys(of: self, i..<end)
                i = end
            } else if order > 0 {
                var end = j + 1
                while end < delta.keys.count, i == keys.count || KeyIndex.compare(delta.keys.keys, end, keys.keys, i) < 0 { end += 1 }
                builder.appendKeys(of: delta, j..<end)
                j = end
            } else {
                builder.appendKey(keys.keys, i)
                var a = keys.rows(of: i), b = delta.keys.rows(of: j)
                while !a.isEmpty, !b.isEmpty {
                    // Take the longest prefix of one side that sorts before the other's head.
                    if sortKey(a.lowerBound) < delta.sortKey(b.lowerBound) {
                        var end = a.lowerBound + 1
                        while end < a.upperBound, sortKey(end) < delta.sortKey(b.lowerBound) { end += 1 }
                        builder.appendRows(of: self, a.lowerBound..<end)
                        a = end..<a.upperBound
                    } else {
                        var end = b.lowerBound + 1
                        while end < b.upperBound, delta.sortKey(end) < sortKey(a.lowerBound) { end += 1 }
                        builder.appendRows(of: delta, b.lowerBound..<end)
                        b = end..<b.upperBound
                    }
                }
                builder.appendRows(of: self, a)
                builder.appendRows(of: delta, b)
                i += 1
                j += 1
            }
        }
        return builder.finish()
    }

    /// Row `row`'s place among the rows of its key: the rule's tie-break.
    @inline(__always) private func sortKey(_ row: Int) -> (Int64, Int64, Int64) {
        (eventTimes[row], createdTimes[row], runIDs[row])
    }
}

/// Accumulates rows, sorted by key, into the buffers of a ``ViewSnapshot``.
struct SnapshotBuilder {
    let view: FeatureView
    private var keys: [Column]
    private var rowStarts: [UInt32] = []
    private var eventTimes: [Int64] = []
    private var createdTimes: [Int64] = []
    private var runIDs: [Int64] = []
    private var features: [Column]
    /// What the key index will hold per key: its row start, up to four
    /// hash slots, and its latest-row record (see ``KeyIndex/recordWords``).
    private let indexBytesPerKey: Int

    /// An empty builder for rows of `view`, with room for `capacity` rows.
    init(view: FeatureView, capacity: Int = 0) {
        self.view = view
        indexBytesPerKey = 4 + 16 + (1 + RecordLayout(view.features.map(\.type)).words) * 8
        keys = view.joinKeys.map { Column(type: $0.type.featureType) }
        features = view.features.map { Column(type: $0.type, capacity: capacity) }
        eventTimes.reserveCapacity(capacity)
        createdTimes.reserveCapacity(capacity)
        runIDs.reserveCapacity(capacity)
    }

    /// The number of rows so far.
    var rowCount: Int { eventTimes.count }

    /// The approximate memory of the rows so far, in bytes.
    var byteCount: Int {
        keys.reduce(0) { $0 + $1.byteCount } + rowStarts.count * indexBytesPerKey + eventTimes.count * 24
            + features.reduce(0) { $0 + $1.byteCount }
    }

    /// Appends the current row of a scan whose columns are the join keys,
    /// `event_timestamp`, `created_timestamp`, `__run_id`, then the features;
    /// rows must come in primary-key order.
    mutating func appendRow(from statement: Statement) {
        let keyCount = keys.count
        if isNewKey(statement) {
            for c in 0..<keyCount { keys[c].append(from: statement, at: Int32(c)) }
            rowStarts.append(UInt32(rowCount))
        }
        eventTimes.append(statement.int64(Int32(keyCount)))
        createdTimes.append(statement.int64(Int32(keyCount + 1)))
        runIDs.append(statement.int64(Int32(keyCount + 2)))
        for f in features.indices { features[f].append(from: statement, at: Int32(keyCount + 3 + f)) }
    }

    /// Whether the statement's row has another key than the last row.
    private func isNewKey(_ statement: Statement) -> Bool {
        let last = rowStarts.count - 1
        guard last >= 0 else { return true }
        for c in keys.indices {
            let column = keys[c]
            if column.type == .int64 {
                if column.ints[last] != statement.int64(Int32(c)) { return true }
            } else {
                let same = statement.withBytes(Int32(c)) { $0.elementsEqual(column.byteSlice(last)) }
                if !same { return true }
            }
        }
        return false
    }

    /// Starts a new key: row `row` of key columns `source`. It must sort
    /// after the previous key.
    mutating func appendKey(_ source: [Column], _ row: Int) {
        for c in keys.indices { keys[c].append(from: source[c], row: row) }
        rowStarts.append(UInt32(rowCount))
    }

    /// Appends the keys at `positions` of `snapshot` with all their rows;
    /// they must sort after the previous key.
    mutating func appendKeys(of snapshot: ViewSnapshot, _ positions: Range<Int>) {
        let index = snapshot.keys
        for c in keys.indices { keys[c].append(contentsOf: index.keys[c], rows: positions) }
        let rows = Int(index.rowStarts[positions.lowerBound])..<Int(index.rowStarts[positions.upperBound])
        let shift = UInt32(rowCount) &- UInt32(rows.lowerBound)
        for position in positions { rowStarts.append(index.rowStarts[position] &+ shift) }
        appendRows(of: snapshot, rows)
    }

    /// Appends rows `rows` of `snapshot` to the current key.
    mutating func appendRows(of snapshot: ViewSnapshot, _ rows: Range<Int>) {
        guard !rows.isEmpty else { return }
        eventTimes.append(contentsOf: snapshot.eventTimes[rows])
        createdTimes.append(contentsOf: snapshot.createdTimes[rows])
        runIDs.append(contentsOf: snapshot.runIDs[rows])
        for f in features.indices { features[f].append(contentsOf: snapshot.features[f], rows: rows) }
    }

    /// The snapshot of the rows appended.
    func finish() -> ViewSnapshot {
        let index = KeyIndex(types: view.joinKeys.map(\.type), keys: keys, rowStarts: rowStarts + [UInt32(rowCount)],
                             eventTimes: eventTimes, features: features)
        return ViewSnapshot(view: view, keys: index, eventTimes: eventTimes, createdTimes: createdTimes, runIDs: runIDs, features: features)
    }
}
