/// Writes one ingest run into one view version's SQLite table (a
/// ``RunSink``), inside the caller's write transaction
/// (``SQLiteSession/writingRun(_:)``, opened by ``IngestPipeline``): none of the run's rows is
/// visible until that transaction commits, and if the process dies first
/// SQLite's journal discards them all.
///
/// Rows go in with `INSERT OR IGNORE` through one cached prepared statement;
/// a row that inserts nothing repeats `(key, event_timestamp,
/// created_timestamp)` within the run and is reported as a duplicate.
///
/// The sorted rest of a large run (``write(_:ordered:log:file:)`` with
/// `ordered`) goes in ``rowsPerStatement`` rows a statement, about a quarter
/// less of SQLite's work per row (docs/benchmarks.md). Such a statement only
/// says how many rows it inserted, so the duplicates are found before it
/// (``OrderedDuplicates``).
final class SQLiteRunWriter: RunSink {
    let db: Connection
    let view: FeatureView
    let runID: Int64
    private(set) var rowsWritten = 0
    /// The newest event time among the rows written so far.
    private(set) var newestEventTime: Int64?
    private let insert: Statement
    /// The `INSERT OR IGNORE` of ``rowsPerStatement`` rows, made at the first ordered batch.
    private var insertMany: Statement?
    /// Rows of an ordered batch inserted by one statement: at most 16, and
    /// no more than keep the statement's parameters within 999 (SQLite's
    /// smallest limit); 1 for a view too wide (then rows go one by one).
    let rowsPerStatement: Int
    /// The duplicates of ordered batches, found before they are inserted
    /// (nothing is kept for them when ``rowsPerStatement`` is 1).
    private var duplicates: OrderedDuplicates
    /// Starts the WAL's writeback as a large run spills into it (made with
    /// the run's larger page cache).
    private var writeback: WALWriteback?

    /// The page cache while a large run is written: 200 MiB, so that its
    /// dirty pages stay in memory until the commit instead of spilling to the
    /// WAL and being read back (1M rows: 2.0 s → 1.7 s).
    static let cacheKiB = 204_800
    /// The rows past which a run gets the page cache of ``cacheKiB``
    /// (before it writes them): fewer fit in the ordinary cache, and a
    /// small run (a push) saves the two `PRAGMA`s.
    static let largeRunRows = 65_536

    /// Registers the run (uncommitted until the caller's transaction commits).
    init(db: Connection, view: FeatureView, source: String, startedAt: Int64) throws {
        self.db = db
        self.view = view
        let run = try db.statement("""
            INSERT INTO runs (view, version, source, content_sha256, rows, rejected, started_at, committed_at)
            VALUES (?, ?, ?, '', 0, 0, ?, 0)
            """)
        run.bind(view.name, at: 1)
        run.bind(Int64(view.version), at: 2)
        run.bind(source, at: 3)
        run.bind(startedAt, at: 4)
        try run.run()
        runID = db.lastInsertRowID
        let columns = ViewTable.columns(view).map(Identifier.quoted).joined(separator: ", ")
        let marks = Array(repeating: "?", count: ViewTable.columns(view).count).joined(separator: ", ")
        insert = try db.statement("INSERT OR IGNORE INTO \(Identifier.quoted(view.tableName)) (\(columns)) VALUES (\(marks))")
        rowsPerStatement = max(1, min(16, 999 / ViewTable.columns(view).count))
        duplicates = OrderedDuplicates(view: view)
    }

    /// Inserts the rows with one cached `INSERT OR IGNORE`: a row that
    /// inserts nothing is a duplicate within the run. A run about to pass
    /// ``largeRunRows`` rows gets the page cache of ``cacheKiB`` first.
    func write(_ batch: WriteBatch, ordered: Bool, log: inout ProblemLog, file: String) throws {
        if rowsWritten + batch.count > Self.largeRunRows {
            try db.setCacheSize(kibibytes: Self.cacheKiB)
            if writeback == nil { writeback = WALWriteback(db) }
        }
        defer { writeback?.hint() }
        // Bind sources are taken once per batch, so the row loop touches only raw buffers.
        try BindSource.with(batch.keys + batch.features) { sources in
            let keys = sources[..<batch.keys.count], features = sources[batch.keys.count...]
            if ordered && rowsPerStatement > 1 {
                try writeOrdered(batch, keys: keys, features: features, log: &log, file: file)
            } else {
                try writeUnordered(batch, keys: keys, features: features, log: &log, file: file)
            }
        }
    }

    /// Writes a batch in primary-key order of its own, one row a statement,
    /// logging the rows that insert nothing as duplicates.
    private func writeUnordered(_ batch: WriteBatch, keys: ArraySlice<BindSource>, features: ArraySlice<BindSource>,
                                log: inout ProblemLog, file: String) throws {
        let runIndex = Int32(view.joinKeys.count + 3)
        let bad = log.badRows
        // Text and blobs are bound in place, from the batch's memory: the
        // bindings are cleared before the bind sources' scope ends.
        defer { insert.reset() }
        insert.bind(runID, at: runIndex) // the same for every row: bound once, kept across steps
        try batch.eventTimes.withUnsafeBufferPointer { eventTimes in
            try batch.createdTimes.withUnsafeBufferPointer { createdTimes in
                // Batches arrive in primary-key order (the pipeline sorts them): neighbouring
                // rows land on the same B-tree pages.
                for row in 0..<batch.count where !bad[row] {
                    var p: Int32 = 1
                    for key in keys {
                        key.bind(row, to: insert, at: p)
                        p += 1
                    }
                    insert.bind(eventTimes[row], at: p)
                    insert.bind(createdTimes[row], at: p + 1)
                    p = runIndex + 1
                    for feature in features {
                        feature.bind(row, to: insert, at: p)
                        p += 1
                    }
                    try insert.step()
                    insert.resetKeepingBindings()
                    if db.changes == 0 {
                        log.add(.duplicate(row, of: batch, in: view, file: file), row: row)
                    } else {
                        rowsWritten += 1
                        newestEventTime = max(newestEventTime ?? eventTimes[row], eventTimes[row])
                        if rowsPerStatement > 1 { duplicates.wroteUnordered(row, of: batch) }
                    }
                }
            }
        }
    }

    /// Writes an ordered batch: ``rowsPerStatement`` rows a statement, after
    /// the duplicates are logged (see the type's comment); the last rows one
    /// by one.
    ///
    /// - Throws: when a statement inserted fewer rows than it was given (a
    ///   batch out of order, against the promise of `ordered`): the run is
    ///   then rolled back rather than lose a row unreported.
    private func writeOrdered(_ batch: WriteBatch, keys: ArraySlice<BindSource>, features: ArraySlice<BindSource>,
                              log: inout ProblemLog, file: String) throws {
        try duplicates.startOrderedBatch(batch)
        let many = try insertMany ?? makeInsertMany()
        insertMany = many
        let width = Int32(ViewTable.columns(view).count)
        let bad = log.badRows
        var group: [Int] = []
        group.reserveCapacity(rowsPerStatement)
        defer { many.reset() }
        for row in 0..<batch.count where !bad[row] {
            if try duplicates.repeatsEarlierRow(row, of: batch, file: file) {
                log.add(.duplicate(row, of: batch, in: view, file: file), row: row)
                continue
            }
            var p = Int32(group.count) * width + 1
            for source in keys { source.bind(row, to: many, at: p); p += 1 }
            many.bind(batch.eventTimes[row], at: p)
            many.bind(batch.createdTimes[row], at: p + 1)
            many.bind(runID, at: p + 2)
            p += 3
            for source in features { source.bind(row, to: many, at: p); p += 1 }
            group.append(row)
            if group.count == rowsPerStatement {
                try many.step()
                many.resetKeepingBindings()
                try inserted(group, of: batch, file: file)
                group.removeAll(keepingCapacity: true)
            }
        }
        let runIndex = Int32(view.joinKeys.count + 3)
        insert.bind(runID, at: runIndex)
        defer { insert.reset() }
        for row in group {
            var p: Int32 = 1
            for source in keys { source.bind(row, to: insert, at: p); p += 1 }
            insert.bind(batch.eventTimes[row], at: p)
            insert.bind(batch.createdTimes[row], at: p + 1)
            p = runIndex + 1
            for source in features { source.bind(row, to: insert, at: p); p += 1 }
            try insert.step()
            insert.resetKeepingBindings()
            try inserted([row], of: batch, file: file)
        }
    }

    /// Counts `rows` of `batch` as written by the statement just run.
    ///
    /// - Throws: when the statement inserted fewer rows.
    private func inserted(_ rows: [Int], of batch: WriteBatch, file: String) throws {
        guard db.changes == rows.count else { throw OrderedDuplicates.brokenOrder(rows[0], of: batch, file: file) }
        rowsWritten += rows.count
        for row in rows { newestEventTime = max(newestEventTime ?? batch.eventTimes[row], batch.eventTimes[row]) }
    }

    /// The `INSERT OR IGNORE` of ``rowsPerStatement`` rows.
    private func makeInsertMany() throws -> Statement {
        let columns = ViewTable.columns(view)
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return try db.statement("INSERT OR IGNORE INTO \(Identifier.quoted(view.tableName)) (\(columns.map(Identifier.quoted).joined(separator: ", "))) VALUES "
            + Array(repeating: tuple, count: rowsPerStatement).joined(separator: ", "))
    }

    /// Nothing to wait for: each batch is written before ``write(_:ordered:log:file:)`` returns.
    func settle(log: inout ProblemLog, file: String) {}

    /// One row per feature in `run_statistics` (migration 3), one
    /// single-row `INSERT` each: a multi-row `INSERT` (one statement) makes
    /// SQLite keep a statement journal of every page it touches (it may
    /// abort halfway on a constraint), spilled to a temporary file past
    /// 64 KiB (seen with strace in one one-row push of three: whenever the
    /// store grows by a page).
    func record(_ statistics: [FeatureStatistics]) throws {
        let s = try db.statement("INSERT INTO run_statistics (run_id, position, feature, type, sketch) VALUES (?, ?, ?, ?, ?)")
        for (position, feature) in statistics.enumerated() {
            s.bind(runID, at: 1)
            s.bind(Int64(position), at: 2)
            s.bind(feature.name, at: 3)
            s.bind(feature.type.description, at: 4)
            feature.serialized().withUnsafeBytes { s.bindBlob($0, at: 5) }
            try s.run()
        }
    }

    func finish(contentSHA256: String, rejected: Int) throws {
        let s = try db.statement("UPDATE runs SET content_sha256 = ?, rows = ?, rejected = ?, committed_at = ? WHERE id = ?")
        s.bind(contentSHA256, at: 1)
        s.bind(Int64(rowsWritten), at: 2)
        s.bind(Int64(rejected), at: 3)
        s.bind(Timestamp.nowMicroseconds(), at: 4)
        s.bind(runID, at: 5)
        try s.run()
        if let newestEventTime { try keep(newestEventTime) }
    }

    /// Raises the newest event time kept for the view version (migration 5)
    /// to `newest`; a version created before that migration gets it from
    /// one scan of its table, once.
    private func keep(_ newest: Int64) throws {
        let raise = try db.statement("""
            UPDATE view_versions SET newest_event_at = max(coalesce(newest_event_at, ?1), ?1)
            WHERE view = ?2 AND version = ?3 AND events_known = 1
            """)
        raise.bind(newest, at: 1)
        raise.bind(view.name, at: 2)
        raise.bind(Int64(view.version), at: 3)
        try raise.run()
        if db.changes == 0 { try SQLiteSession.keepNewestEventTime(db, of: view) }
    }
}

/// One column's values ready to bind row by row: pointers into the
/// column's own buffers, taken once per batch (``with(_:_:)``), so that the
/// row loop reads raw memory (no bounds checks, no reference counting) and
/// binds text and blobs in place (no copy by SQLite, none by Larder): the
/// pointers are valid only inside `with`, and the writer clears the
/// bindings before it returns.
private struct BindSource {
    let type: FeatureType
    let buffers: ColumnBuffers

    /// Calls `body` with one bind source per column of `columns`, in order,
    /// valid only while `body` runs.
    static func with<R>(_ columns: [Column], _ body: ([BindSource]) throws -> R) rethrows -> R {
        var sources: [BindSource] = []
        sources.reserveCapacity(columns.count)
        return try open(columns[...], into: &sources, body)
    }

    /// Opens the buffers of the first of `columns`, then of the rest, one scope inside the other.
    private static func open<R>(_ columns: ArraySlice<Column>, into sources: inout [BindSource],
                                _ body: ([BindSource]) throws -> R) rethrows -> R {
        guard let column = columns.first else { return try body(sources) }
        return try column.withBuffers { buffers in
            sources.append(BindSource(type: column.type, buffers: buffers))
            return try open(columns.dropFirst(), into: &sources, body)
        }
    }

    @inline(__always)
    func bind(_ row: Int, to insert: Statement, at index: Int32) {
        guard buffers.validity[row >> 6] & (1 << UInt64(row & 63)) != 0 else {
            insert.bindNull(at: index)
            return
        }
        let values = buffers.values
        switch type {
        case .int64, .timestamp: insert.bind(values.load(fromByteOffset: row * 8, as: Int64.self), at: index)
        case .bool: insert.bind(values.load(fromByteOffset: row, as: UInt8.self) != 0 ? 1 as Int64 : 0, at: index)
        case .float64:
            let v = values.load(fromByteOffset: row * 8, as: Double.self)
            if v.isNaN { insert.bind("NaN", at: index) } else { insert.bind(v, at: index) }
        case .string, .bytes:
            let start = values.load(fromByteOffset: row * 8, as: Int.self)
            let end = values.load(fromByteOffset: (row + 1) * 8, as: Int.self)
            let text = UnsafeRawBufferPointer(start: buffers.bytes + start, count: end - start)
            if type == .string { insert.bindTextInPlace(text, at: index) } else { insert.bindBlobInPlace(text, at: index) }
        case .vector(let n):
            insert.bindBlobInPlace(UnsafeRawBufferPointer(start: values + row * n * 4, count: n * 4), at: index)
        }
    }
}
