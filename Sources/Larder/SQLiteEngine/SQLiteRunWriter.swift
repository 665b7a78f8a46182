/// Writes one ingest run into one view version's SQLite table (a
/// ``RunSink``), inside the caller's write transaction
/// (``SQLiteSession/writingRun(_:)``, opened by ``IngestPipeline``): none of the run's rows is
/// visible until that transaction commits, and if the process dies first
/// SQLite's journal discards them all.
///
/// Rows go in with `INSERT OR IGNORE` through one cached prepared statement;
/// a row that inserts nothing repeats `(key, event_timestamp,
/// created_timestamp)` within the run and is reported as a duplicate.
final class SQLiteRunWriter: RunSink {
    let db: Connection
    let view: FeatureView
    let runID: Int64
    private(set) var rowsWritten = 0
    /// The newest event time among the rows written so far.
    private(set) var newestEventTime: Int64?
    private let insert: Statement

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
    }

    /// Inserts the rows with one cached `INSERT OR IGNORE`: a row that
    /// inserts nothing is a duplicate within the run. A run about to pass
    /// ``largeRunRows`` rows gets the page cache of ``cacheKiB`` first.
    func write(_ batch: WriteBatch, log: inout ProblemLog, file: String) throws {
        if rowsWritten + batch.count > Self.largeRunRows { try db.setCacheSize(kibibytes: Self.cacheKiB) }
        let runIndex = Int32(view.joinKeys.count + 3)
        // Bind sources are built once per batch, so the row loop touches only raw buffers.
        let keys = batch.keys.map(BindSource.init)
        let features = batch.features.map(BindSource.init)
        let bad = log.badRows
        // Batches arrive in primary-key order (Backfill sorts them): neighbouring
        // rows land on the same B-tree pages.
        for row in 0..<batch.count where !bad[row] {
            var p: Int32 = 1
            for key in keys {
                key.bind(row, to: insert, at: p)
                p += 1
            }
            insert.bind(batch.eventTimes[row], at: p)
            insert.bind(batch.createdTimes[row], at: p + 1)
            insert.bind(runID, at: runIndex)
            p = runIndex + 1
            for feature in features {
                feature.bind(row, to: insert, at: p)
                p += 1
            }
            try insert.step()
            insert.resetKeepingBindings()
            if db.changes == 0 {
                let key = batch.keys.map { $0.value(row).description }.joined(separator: ", ")
                log.add(ValidationProblem(file: file, line: batch.lines[row], column: view.joinKeys.map(\.name).joined(separator: ","),
                                          value: key,
                                          reason: "duplicate (key, event_timestamp, created_timestamp) = (\(key), \(Timestamp.format(batch.eventTimes[row])), \(Timestamp.format(batch.createdTimes[row]))) within this run"),
                        row: row)
            } else {
                rowsWritten += 1
                newestEventTime = max(newestEventTime ?? batch.eventTimes[row], batch.eventTimes[row])
            }
        }
    }

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

/// One column's values ready to bind row by row: a final class holding the
/// column, so the row loop reaches its buffers without copying the struct.
private final class BindSource {
    let column: Column
    let type: FeatureType

    init(_ column: Column) {
        self.column = column
        self.type = column.type
    }

    @inline(__always)
    func bind(_ row: Int, to insert: Statement, at index: Int32) {
        guard column.validity[row] else {
            insert.bindNull(at: index)
            return
        }
        switch type {
        case .int64, .timestamp: insert.bind(column.ints[row], at: index)
        case .bool: insert.bind(column.bools[row] ? 1 as Int64 : 0, at: index)
        case .float64:
            let v = column.doubles[row]
            if v.isNaN { insert.bind("NaN", at: index) } else { insert.bind(v, at: index) }
        case .string:
            column.bytes.withUnsafeBytes { all in
                insert.bindText(UnsafeRawBufferPointer(rebasing: all[column.offsets[row]..<column.offsets[row + 1]]), at: index)
            }
        case .bytes:
            column.bytes.withUnsafeBytes { all in
                insert.bindBlob(UnsafeRawBufferPointer(rebasing: all[column.offsets[row]..<column.offsets[row + 1]]), at: index)
            }
        case .vector(let n):
            column.floats.withUnsafeBytes { all in
                insert.bindBlob(UnsafeRawBufferPointer(rebasing: all[(row * n * 4)..<((row + 1) * n * 4)]), at: index)
            }
        }
    }
}
