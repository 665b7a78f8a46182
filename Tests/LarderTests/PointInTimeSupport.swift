import Foundation
import Synchronization
@testable import Larder
@testable import LarderPostgres

/// One store opened several ways: ``cached`` answers from the columnar
/// cache (base snapshot files plus deltas), ``uncached`` (a cache budget of
/// 0) answers every view from the engine (SQLite's or PostgreSQL's rule in
/// SQL), ``compacting`` folds delta segments of more than a few rows into a
/// new base snapshot, ``segmented`` keeps its base and merges its segments
/// whenever it has more than two (both in the background). Rows are
/// inserted with SQL, as the write path would commit them.
final class PointInTimeStores {
    let directory = TemporaryDirectory()
    let engine: TestEngine
    let location: String
    let cached: FeatureStore
    let uncached: FeatureStore
    let compacting: FeatureStore
    let segmented: FeatureStore

    /// The stores on `engine`, with the definitions in `yaml` applied when given.
    init(engine: TestEngine = .sqlite, yaml: String? = nil) throws {
        self.engine = engine
        location = try engine.newStore(in: directory, file: "pit.db")
        cached = try engine.open(location)
        if let yaml { try cached.apply(Definitions.parse(yaml: yaml, file: "test.yaml")) }
        uncached = try engine.open(location, options: .init(cacheBytes: 0))
        var options = FeatureStore.Options()
        options.compactionRows = 40
        compacting = try engine.open(location, options: options)
        options.compactionRows = 1 << 30
        options.deltaSegments = 2
        segmented = try engine.open(location, options: options)
    }

    /// Brings the caches of the stores that compact up to date now (each
    /// refresh adds a delta segment per view with new runs), as a write
    /// path's refresh would: compactions then run in the background.
    func refreshCompactingStores() throws {
        for store in [compacting, segmented] { try store.testRefreshCache() }
    }

    /// Waits until no compaction runs in any store.
    func waitForCompactions() {
        for store in [cached, compacting, segmented] { store.cache.waitForCompactions() }
    }

    /// Every path, named for messages, and a store opened now, as a new
    /// process would: it maps the snapshot files the others wrote and reads
    /// later runs as a delta.
    func paths() throws -> [(name: String, store: FeatureStore)] {
        [("cache", cached), (engine.rawValue, uncached), ("compacting", compacting), ("segmented", segmented),
         ("new process", try engine.open(location))]
    }
}

/// A run recorded by `testInsertRun`, waiting for its rows.
struct PendingTestRun: Sendable {
    let id: Int64, view: String, version: Int, committedAt: Int64
}

/// Runs recorded by `testInsertRun`, by store, until `testInsertRows` commits them.
let pendingTestRuns = Mutex<[ObjectIdentifier: [PendingTestRun]]>([:])

extension FeatureStore {
    /// Records a committed run (tests only). Its `runs` row is inserted by
    /// the next ``testInsertRows(view:version:_:)``, in the same
    /// transaction as the rows, as the write path commits a run: a refresh
    /// (the cache's periodic one runs in the background) never sees a run
    /// without its rows.
    func testInsertRun(id: Int64, view: String, version: Int = 1, committedAt: Int64) throws {
        pendingTestRuns.withLock { $0[ObjectIdentifier(self), default: []].append(PendingTestRun(id: id, view: view, version: version, committedAt: committedAt)) }
    }

    /// Inserts the runs recorded by ``testInsertRun(id:view:version:committedAt:)``
    /// and rows into the table of `view` (latest version when `version` is
    /// nil), in one transaction; each row lists the table's columns in
    /// order: join keys, event, created, run id, features (tests only).
    func testInsertRows(view name: String, version: Int? = nil, _ rows: [[FeatureValue]]) throws {
        let view = try registry.view(name, version: version)
        let onPostgres = try state.withLock { state in
            guard let session = state.session as? PostgresSession else { return false }
            let runs = pendingTestRuns.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) ?? [] }
            try session.testInsert(runs: runs, view: view, rows: rows)
            return true
        }
        if onPostgres { return }
        let columns = ViewTable.columns(view)
        let sql = "INSERT INTO \(Identifier.quoted(view.tableName)) (\(columns.map(Identifier.quoted).joined(separator: ", ")))"
            + " VALUES (\(columns.indices.map { "?\($0 + 1)" }.joined(separator: ", ")))"
        let runs = pendingTestRuns.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) ?? [] }
        try state.withLock { state in
            let db = (state.session as! SQLiteSession).db
            try db.execute("BEGIN")
            for run in runs {
                let s = try db.statement("""
                    INSERT INTO runs (id, view, version, source, content_sha256, rows, rejected, started_at, committed_at)
                    VALUES (?1, ?2, ?3, 'test', '', 0, 0, ?4, ?4)
                    """)
                s.bind(run.id, at: 1)
                s.bind(run.view, at: 2)
                s.bind(Int64(run.version), at: 3)
                s.bind(run.committedAt, at: 4)
                try s.run()
            }
            let s = try db.statement(sql)
            for row in rows {
                precondition(row.count == columns.count, "a row of \(row.count) values for \(columns.count) columns")
                for (i, value) in row.enumerated() { s.testBind(value, at: Int32(i + 1)) }
                try s.run()
            }
            try db.execute("COMMIT")
        }
    }

    /// Runs `body` with the store's write connection (tests only).
    func testWithDB<R>(_ body: (Connection) throws -> R) throws -> R {
        try state.withLock { try body(($0.session as! SQLiteSession).db) }
    }

    /// Runs `body` with the store's write session (tests only).
    func testWithSession<R>(_ body: (SQLiteSession) throws -> R) throws -> R {
        try state.withLock { try body($0.session as! SQLiteSession) }
    }

    /// Brings the cache up to date with the store, as a write's refresh does (tests only).
    func testRefreshCache() throws {
        try state.withLock { try refreshCache(session: $0.session) }
    }
}

extension FeatureCache {
    /// Waits until no compaction runs (at most 60 s; tests only).
    func waitForCompactions() {
        var waited = 0
        while isCompacting, waited < 60_000 {
            usleep(1_000)
            waited += 1
        }
    }
}

extension Statement {
    /// Binds a value the way the view tables store it (tests only).
    func testBind(_ value: FeatureValue, at index: Int32) {
        switch value {
        case .null: bindNull(at: index)
        case .int64(let v): bind(v, at: index)
        case .timestamp(let v): bind(v.microseconds, at: index)
        case .float64(let v): if v.isNaN { bind("NaN", at: index) } else { bind(v, at: index) }
        case .bool(let v): bind(Int64(v ? 1 : 0), at: index)
        case .string(let v): bind(v, at: index)
        case .bytes(let v): v.withUnsafeBytes { bindBlob($0, at: index) }
        case .vector(let v):
            var bytes: [UInt8] = []
            for f in v { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            bytes.withUnsafeBytes { bindBlob($0, at: index) }
        }
    }
}

/// A column of `type` holding `values`.
func testColumn(_ type: FeatureType, _ values: [FeatureValue]) throws -> Column {
    var column = Column(type: type, capacity: values.count)
    for value in values { try column.append(value) }
    return column
}

/// A spine of int64 keys named `key` and event times.
func testSpine(key: String = "id", keys: [Int64], times: [Int64]) throws -> FeatureFrame {
    FeatureFrame(names: [key, "event_timestamp"],
                 columns: [try testColumn(.int64, keys.map { .int64($0) }), try testColumn(.timestamp, times.map { .timestamp(Timestamp(microseconds: $0)) })])
}

/// Every value of `column`.
func testValues(_ column: Column) -> [FeatureValue] {
    (0..<column.count).map { column.value($0) }
}

