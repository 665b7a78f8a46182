/// Accumulates rows, sorted by key, into the arrays of a snapshot, and
/// lays them out as a ``SnapshotImage``.
package struct SnapshotBuilder {
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
    package var rowCount: Int { eventTimes.count }

    /// The approximate memory of the rows so far, in bytes.
    package var byteCount: Int {
        keys.reduce(0) { $0 + $1.byteCount } + rowStarts.count * indexBytesPerKey + eventTimes.count * 24
            + features.reduce(0) { $0 + $1.byteCount }
    }

    /// Appends the current row of a scan whose columns are the join keys,
    /// `event_timestamp`, `created_timestamp`, `__run_id`, then the features;
    /// rows must come in primary-key order.
    package mutating func appendRow(from statement: some RowCursor) {
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
    private func isNewKey(_ statement: some RowCursor) -> Bool {
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

    /// Appends rows of runs, each of run `runIDs[row]`, given as columns
    /// sorted in primary-key order (keys, event time, created time, run):
    /// the rows writes in this process hand to the cache.
    mutating func appendRuns(_ runIDs: [Int64], keys source: [Column], eventTimes events: [Int64], createdTimes created: [Int64],
                             features values: [Column]) {
        for row in events.indices {
            let last = rowStarts.count - 1
            let newKey = last < 0 || KeyIndex.compare(ColumnsKey(columns: keys, row: last), ColumnsKey(columns: source, row: row),
                                                      types: view.joinKeys.map(\.type)) != 0
            if newKey {
                for c in keys.indices { keys[c].append(from: source[c], row: row) }
                rowStarts.append(UInt32(rowCount))
            }
            eventTimes.append(events[row])
            createdTimes.append(created[row])
            self.runIDs.append(runIDs[row])
            for f in features.indices { features[f].append(from: values[f], row: row) }
        }
    }

    /// Starts a new key: row `row` of stored key columns `source`. It must
    /// sort after the previous key.
    mutating func appendKey(_ source: [StoredColumn], _ row: Int) {
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
        eventTimes.append(contentsOf: UnsafeBufferPointer(start: snapshot.eventTimes + rows.lowerBound, count: rows.count))
        createdTimes.append(contentsOf: UnsafeBufferPointer(start: snapshot.createdTimes + rows.lowerBound, count: rows.count))
        runIDs.append(contentsOf: UnsafeBufferPointer(start: snapshot.runIDs + rows.lowerBound, count: rows.count))
        for f in features.indices { features[f].append(contentsOf: snapshot.features[f], rows: rows) }
    }

    /// The image of the rows appended, covering runs up to `lastRun`
    /// (committed at `lastRunCommittedAt`): the key index built, every
    /// array laid out and checksummed.
    func finish(lastRun: Int64, lastRunCommittedAt: Int64) -> SnapshotImage {
        let starts = rowStarts + [UInt32(rowCount)]
        let (table, latest, layout) = KeyIndex.build(types: view.joinKeys.map(\.type), keys: keys, rowStarts: starts,
                                                     eventTimes: eventTimes, features: features)
        var blobs: [SnapshotImage.Blob] = [.uint32(starts), .uint32(table), .uint64(latest),
                                           .int64(eventTimes), .int64(createdTimes), .int64(runIDs)]
        for column in keys + features { blobs += (0..<3).map { .column(column, part: $0) } }
        let header = SnapshotHeader(viewID: view.id, viewCreatedAt: view.createdAt.microseconds,
                                    fingerprint: SnapshotHeader.fingerprint(of: view), lastRun: lastRun,
                                    lastRunCommittedAt: lastRunCommittedAt, rowCount: rowCount, keyCount: starts.count - 1,
                                    slotCount: table.count, recordWords: 1 + layout.words, arrays: [])
        return SnapshotImage(view: view, header: header, blobs: blobs)
    }
}

/// A snapshot laid out but not yet placed: its header and its arrays,
/// ready to be written to a snapshot file (see ``SnapshotFiles``) or
/// copied into memory (``inMemory()``), byte for byte the same.
struct SnapshotImage {
    /// One array of the image.
    enum Blob {
        case uint32([UInt32]), uint64([UInt64]), int64([Int64])
        /// Buffer `part` of a column: 0 validity, 1 values, 2 text.
        case column(Column, part: Int)

        /// Calls `body` with the array's bytes.
        func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            switch self {
            case .uint32(let a): try a.withUnsafeBytes(body)
            case .uint64(let a): try a.withUnsafeBytes(body)
            case .int64(let a): try a.withUnsafeBytes(body)
            case .column(let column, let part): try column.withStorage { try body([$0, $1, $2][part]) }
            }
        }
    }

    let view: FeatureView
    /// The header, with ``SnapshotHeader/arrays`` filled in.
    let header: SnapshotHeader
    let blobs: [Blob]

    /// Lays out `blobs` after the header, each at a multiple of 8 bytes,
    /// and checksums them.
    init(view: FeatureView, header: SnapshotHeader, blobs: [Blob]) {
        var header = header
        var offset = SnapshotHeader.byteCount(arrays: blobs.count)
        header.arrays = blobs.map { blob in
            blob.withBytes { bytes in
                defer { offset += StoredColumn.aligned(bytes.count) }
                return SnapshotHeader.Placement(offset: offset, length: bytes.count, checksum: Checksum64.of(bytes))
            }
        }
        self.view = view
        self.header = header
        self.blobs = blobs
    }

    /// The number of rows.
    var rowCount: Int { header.rowCount }

    /// The size of the image in bytes.
    var byteCount: Int { header.arrays.last.map { $0.offset + StoredColumn.aligned($0.length) } ?? SnapshotHeader.byteCount(arrays: 0) }

    /// Calls `body` with each piece of the image in file order: the header,
    /// then each array followed by its padding to a multiple of 8 bytes.
    func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try header.encoded().withUnsafeBytes(body)
        let zeros = [UInt8](repeating: 0, count: 8)
        for blob in blobs {
            let padding = try blob.withBytes { bytes -> Int in
                try body(bytes)
                return StoredColumn.aligned(bytes.count) - bytes.count
            }
            if padding > 0 { try zeros.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[..<padding])) } }
        }
    }

    /// The snapshot in allocated memory (when it is not, or not yet, a file).
    func inMemory() -> ViewSnapshot {
        let region = Region.allocate(byteCount: byteCount) { memory in
            var at = 0
            forEachPiece { piece in
                if piece.count > 0 { (memory + at).copyMemory(from: piece.baseAddress!, byteCount: piece.count) }
                at += piece.count
            }
        }
        do {
            return try ViewSnapshot(view: view, region: region, header: header)
        } catch {
            preconditionFailure("a snapshot image does not match its own header: \(error)")
        }
    }
}
