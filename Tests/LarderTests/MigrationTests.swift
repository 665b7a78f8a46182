import Foundation
import LarderMigrations
import Testing
@testable import Larder

@Suite struct MigrationTests {
    /// The `migrations/` folder of the package.
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("migrations").path

    @Test func everyMigrationFileIsEmbeddedInOrder() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder).filter { $0.hasPrefix("m") && $0.hasSuffix(".sql") }.sorted()
        #expect(!files.isEmpty)
        #expect(storeMigrations.map(\.fileName) == files)
        // Each version is its file's number; numbers only grow (a number may be
        // reserved by a branch not merged yet).
        #expect(storeMigrations.map(\.version) == files.map { Int($0.dropFirst().prefix(4))! })
        #expect(storeMigrations.map(\.version) == storeMigrations.map(\.version).sorted())
        for migration in storeMigrations {
            let onDisk = try String(contentsOfFile: Self.folder + "/" + migration.fileName, encoding: .utf8)
            #expect(migration.sql == onDisk, "embedded \(migration.fileName) differs from the file")
        }
    }

    @Test func migrationsAreAppliedOnceAndRecorded() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.db")
        do {
            let store = try FeatureStore(path: path)
            #expect(try store.schemaVersion() == storeMigrations.last!.version)
            #expect(try store.testInt("SELECT COUNT(*) FROM larder_migrations") == Int64(storeMigrations.count))
            #expect(try store.testTables().contains("runs"))
        }
        let reopened = try FeatureStore(path: path)
        #expect(try reopened.testInt("SELECT COUNT(*) FROM larder_migrations") == Int64(storeMigrations.count))
    }

    /// A store at schema version 1: `driver_stats@1` registered, its
    /// version 2 dropped after a run, `old_stats` dropped entirely after runs
    /// up to version 4, and an older feature set version pinning the dropped
    /// `gone_stats@6`.
    static func makeVersion1Store(at path: String) throws {
        let db = try Connection(path: path)
        try db.execute("CREATE TABLE larder_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT")
        try db.execute(storeMigrations[0].sql)
        try db.execute("""
            INSERT INTO larder_migrations VALUES (1, 'm0001_init.sql', 0);
            INSERT INTO entities VALUES ('driver', '[{"name":"driver_id","type":"int64"}]', '');
            INSERT INTO feature_views VALUES ('driver_stats');
            INSERT INTO view_versions (id, view, version, entity, join_keys, ttl_us, table_name, created_at)
                VALUES (1, 'driver_stats', 1, 'driver', '[{"name":"driver_id","type":"int64"}]', 0, 'fv_driver_stats_v1', 0);
            INSERT INTO features (view_version_id, position, name, type) VALUES (1, 0, 'conv_rate', 'float64');
            CREATE TABLE fv_driver_stats_v1 (driver_id INTEGER NOT NULL, event_timestamp INTEGER NOT NULL,
                created_timestamp INTEGER NOT NULL, __run_id INTEGER NOT NULL, conv_rate REAL,
                PRIMARY KEY (driver_id, event_timestamp, created_timestamp, __run_id)) WITHOUT ROWID;
            INSERT INTO runs (view, version, source, content_sha256, rows, rejected, started_at, committed_at)
                VALUES ('driver_stats', 2, 'a.csv', 'aa', 1, 0, 1, 2), ('old_stats', 3, 'b.csv', 'bb', 1, 0, 3, 4),
                       ('old_stats', 4, 'c.csv', 'cc', 1, 0, 5, 6);
            INSERT INTO feature_sets (name, version, refs, created_at)
                VALUES ('ranking', 1, '["gone_stats@6:x","driver_stats@1:conv_rate"]', 0),
                       ('ranking', 2, '["driver_stats@1:conv_rate"]', 1);
            """)
    }

    @Test func storeAtSchemaVersion1IsMigratedWithItsHighestVersions() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("v1.db")
        try Self.makeVersion1Store(at: path)
        let store = try FeatureStore(path: path)
        #expect(try store.schemaVersion() == storeMigrations.last!.version)
        #expect(try store.registry.lastIssuedVersions == ["driver_stats": 2, "old_stats": 4, "gone_stats": 6])
        let yaml = """
            entities:
              - name: driver
                join_keys: [{name: driver_id, type: int64}]
            feature_views:
              - {name: driver_stats, entity: driver, features: [{name: conv_rate, type: float64}, {name: city, type: string}]}
              - {name: old_stats, entity: driver, features: [{name: trips, type: int64}]}
              - {name: gone_stats, entity: driver, features: [{name: x, type: int64}]}
            """
        let plan = try store.apply(try Definitions.parse(yaml: yaml, file: "defs.yaml"))
        let actions = Dictionary(uniqueKeysWithValues: plan.steps.map { ($0.name, $0.action) })
        #expect(actions["driver_stats"] == .newVersion(3))
        #expect(actions["old_stats"] == .newVersion(5))
        #expect(actions["gone_stats"] == .newVersion(7))
        #expect(try store.registry.views.mapValues { $0.map(\.version) } == ["driver_stats": [1, 3], "old_stats": [5], "gone_stats": [7]])
        #expect(try store.runs(view: "driver_stats").map(\.version) == [2])
    }

    @Test func storeFromNewerLarderIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.db")
        try FeatureStore(path: path).testSQL("INSERT INTO larder_migrations VALUES (99, 'm0099_future.sql', 0)")
        #expect {
            _ = try FeatureStore(path: path)
        } throws: { error in
            guard (error as? LarderError)?.category == .storage else { return false }
            return "\(error)".contains("schema version 99") && "\(error)".contains("supports up to \(storeMigrations.last!.version)")
        }
    }

    @Test func connectionUsesWALAndNormalSync() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("c.db"))
        #expect(try db.queryText("PRAGMA journal_mode") == "wal")
        #expect(try db.queryInt("PRAGMA synchronous") == 1)
        #expect(try db.queryInt("PRAGMA foreign_keys") == 1)
    }

    @Test func durableStoresCommitWithFullSync() throws {
        let dir = TemporaryDirectory()
        #expect(try FeatureStore(path: dir.file("normal.db")).testInt("PRAGMA synchronous") == 1)
        #expect(try FeatureStore(path: dir.file("durable.db"), options: .init(durable: true)).testInt("PRAGMA synchronous") == 2)
    }

    @Test func transactionRollsBackOnError() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("c.db"))
        try db.execute("CREATE TABLE t (x INTEGER)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.queryInt("SELECT COUNT(*) FROM t") == 0)
        #expect(!db.isInTransaction)
    }

    @Test func sqliteErrorDescriptionShortensAHugeStatement() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("c.db"))
        let sql = "CREATE TABLE wide (\n    " + (0..<3000).map { "c\($0) REAL" }.joined(separator: ",\n    ") + "\n)"
        #expect {
            try db.execute(sql)
        } throws: { error in
            guard let e = error as? SQLiteError else { return false }
            #expect(e.description.hasPrefix("SQLite error 1: too many columns on wide (in: CREATE TABLE wide ( c0 REAL, c1 REAL, "), "\(e)")
            #expect(e.description.hasSuffix("… (\(sql.utf8.count) bytes))"), "\(e)")
            #expect(e.description.count < 300, "\(e)")
            return e.sql == sql
        }
    }

    @Test func sqliteErrorCarriesCodeMessageAndStatement() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("c.db"))
        #expect {
            _ = try db.statement("SELECT * FROM missing_table")
        } throws: { error in
            guard let e = error as? SQLiteError else { return false }
            return e.primaryCode == 1 && e.message.contains("missing_table") && e.sql == "SELECT * FROM missing_table"
        }
    }
}
