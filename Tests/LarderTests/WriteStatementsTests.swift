import CLarderSQLite
import Foundation
import Synchronization
import Testing
@testable import Larder

/// The SQL a write runs on the SQLite write connection (traced with
/// `sqlite3_trace_v2`): a small write pays no fixed cost it does not need.
@Suite struct WriteStatementsTests {
    let dir = TemporaryDirectory()

    /// The SQL of the statements a connection started.
    final class Trace: Sendable {
        let sql = Mutex<[String]>([])
    }

    /// The statements the write connection of `store` starts while `body` runs.
    static func statements(of store: FeatureStore, during body: () throws -> Void) throws -> [String] {
        let trace = Trace()
        let db = store.state.withLock { ($0.session as! SQLiteSession).db.handle }
        try withExtendedLifetime(trace) {
            sqlite3_trace_v2(db, UInt32(SQLITE_TRACE_STMT), { _, context, statement, _ in
                let trace = Unmanaged<Trace>.fromOpaque(context!).takeUnretainedValue()
                let sql = String(cString: sqlite3_sql(OpaquePointer(statement)))
                trace.sql.withLock { $0.append(sql) }
                return 0
            }, Unmanaged.passUnretained(trace).toOpaque())
            defer { sqlite3_trace_v2(db, 0, nil, nil) }
            try body()
        }
        return trace.sql.withLock { $0 }
    }

    /// `rows` rows of drivers from 1, an hour ago, with avg_daily_trips = `trips`.
    static func frame(rows: Int, trips: Int64) -> FeatureFrame {
        var keys = Column(type: .int64, capacity: rows), times = Column(type: .timestamp, capacity: rows)
        var values = Column(type: .int64, capacity: rows)
        let event = Timestamp.nowMicroseconds() - 3_600_000_000
        for row in 0..<rows {
            keys.append(Int64(row + 1))
            times.append(event)
            values.append(trips)
        }
        return FeatureFrame(names: ["driver_id", "event_timestamp", "avg_daily_trips"], columns: [keys, times, values])
    }

    @Test func aOneRowWriteTakesNoSavepointAndNoCachePragma() throws {
        let store = try FeatureStore(path: dir.file("w.db"))
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        var options = IngestOptions()
        options.allowMissingFeatures = true
        try store.write(view: "driver_stats", frame: Self.frame(rows: 1, trips: 1), options: options)
        let sql = try Self.statements(of: store) {
            try store.write(view: "driver_stats", frame: Self.frame(rows: 1, trips: 2), options: options)
        }
        #expect(!sql.contains { $0.hasPrefix("SAVEPOINT") }, "a write alone takes no savepoint: \(sql)")
        #expect(!sql.contains { $0.hasPrefix("PRAGMA cache_size") }, "a small run keeps the ordinary page cache: \(sql)")
        #expect(try store.testInt("SELECT COUNT(*) FROM run_statistics WHERE run_id = 2") == 4)
        #expect(try store.testInt("SELECT COUNT(DISTINCT position) FROM run_statistics WHERE run_id = 2") == 4)
    }

    @Test func aLargeRunRaisesThePageCacheAndLowersItAfter() throws {
        let store = try FeatureStore(path: dir.file("l.db"))
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        var options = IngestOptions()
        options.allowMissingFeatures = true
        let sql = try Self.statements(of: store) {
            try store.write(view: "driver_stats", frame: Self.frame(rows: SQLiteRunWriter.largeRunRows + 1, trips: 1), options: options)
        }
        #expect(sql.filter { $0.hasPrefix("PRAGMA cache_size") } == ["PRAGMA cache_size = -\(SQLiteRunWriter.cacheKiB)",
                                                                      "PRAGMA cache_size = -\(Connection.defaultCacheKiB)"])
    }

    /// Backfills one row per driver of `drivers` (in that order, an hour
    /// ago, one trip each, the other features missing) into `store` with
    /// `options`: the statements the write connection started, and the
    /// rows written.
    static func backfill(_ drivers: [Int], into store: FeatureStore, options: IngestOptions) throws -> (sql: [String], written: Int) {
        var options = options
        options.allowMissingFeatures = true
        let event = Timestamp(microseconds: Timestamp.nowMicroseconds() - 3_600_000_000).description
        var csv = "driver_id,event_timestamp,avg_daily_trips\n"
        for driver in drivers { csv += "\(driver),\(event),1\n" }
        var written = 0
        let sql = try statements(of: store) {
            written = try store.backfill(view: "driver_stats", input: .memory(name: "trips.csv", bytes: Array(csv.utf8)), options: options).rowsWritten
        }
        return (sql, written)
    }

    /// A large run written in several batches past ``SQLiteRunWriter/largeRunRows``
    /// raises the page cache once, not once per batch.
    @Test func aLargeRunInManyBatchesRaisesThePageCacheOnce() throws {
        let store = try FeatureStore(path: dir.file("m.db"))
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        var options = IngestOptions()
        options.batchRows = 8_192
        let rows = SQLiteRunWriter.largeRunRows + 3 * options.batchRows
        let (sql, written) = try Self.backfill(Array(1...rows), into: store, options: options)
        #expect(sql.filter { $0.hasPrefix("PRAGMA cache_size") } == ["PRAGMA cache_size = -\(SQLiteRunWriter.cacheKiB)",
                                                                      "PRAGMA cache_size = -\(Connection.defaultCacheKiB)"])
        #expect(written == rows)
    }

    /// The sorted rest of a spilled run goes in
    /// ``SQLiteRunWriter/rowsPerStatement`` rows a statement: 2,000 rows,
    /// the first 300 streamed one by one, then 17 ordered batches of 100
    /// rows, each six statements of 16 rows and four single rows; whether
    /// the key is an `int64` or a `string`.
    @Test(arguments: ["int64", "string"])
    func theSortedRestOfARunGoesInManyRowsAStatement(keyType: String) throws {
        let store = try FeatureStore(path: dir.file("s.db"))
        let definitions = exampleDefinitions.replacingOccurrences(of: "{name: driver_id, type: int64}", with: "{name: driver_id, type: \(keyType)}")
        try store.apply(try Definitions.parse(yaml: definitions, file: "defs.yaml"))
        var options = IngestOptions()
        options.batchRows = 100
        options.streamedRows = 300
        options.sortPartRows = 256
        options.scratchParent = dir.path
        let (sql, written) = try Self.backfill((1...2_000).reversed(), into: store, options: options)
        let inserts = sql.filter { $0.hasPrefix("INSERT OR IGNORE INTO") }
        #expect(inserts.filter { $0.components(separatedBy: "), (").count == 16 }.count == 17 * 6)
        #expect(inserts.filter { !$0.contains("), (") }.count == 300 + 17 * 4)
        #expect(written == 2_000)
        #expect(try store.rowCount(view: "driver_stats") == 2_000)
    }

    #if os(Linux)
    /// ``WALWriteback`` (a large run's writer makes one) hints the kernel at
    /// the WAL's new end once the WAL has grown by ``WALWriteback/stride``
    /// bytes since the last hint, and not before: here one transaction
    /// spills its pages into the WAL (a 1 MiB page cache, 41 MiB of rows).
    @Test func theWALIsWrittenBackAsItGrows() throws {
        let db = try Connection(path: dir.file("w.db"))
        try db.execute("CREATE TABLE t (x BLOB)")
        try db.setCacheSize(kibibytes: 1_024)
        let writeback = WALWriteback(db)
        try db.execute("BEGIN")
        try db.execute("INSERT INTO t VALUES (randomblob(1048576))")
        writeback.hint()
        #expect(writeback.hinted == 0)
        for _ in 0..<40 { try db.execute("INSERT INTO t VALUES (randomblob(1048576))") }
        writeback.hint()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: dir.file("w.db-wal"))[.size] as? Int)
        #expect(size >= WALWriteback.stride && writeback.hinted == size)
        try db.execute("COMMIT")
        #expect(try db.queryText("SELECT COUNT(*) FROM t") == "41")
    }
    #endif
}
