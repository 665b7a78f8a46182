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
        #expect(storeMigrations.map(\.version) == Array(1...files.count))
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
            #expect(try store.schemaVersion() == storeMigrations.count)
            #expect(try store.testInt("SELECT COUNT(*) FROM larder_migrations") == Int64(storeMigrations.count))
            #expect(try store.testTables().contains("runs"))
        }
        let reopened = try FeatureStore(path: path)
        #expect(try reopened.testInt("SELECT COUNT(*) FROM larder_migrations") == Int64(storeMigrations.count))
    }

    @Test func storeFromNewerLarderIsRefused() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("s.db")
        try FeatureStore(path: path).testSQL("INSERT INTO larder_migrations VALUES (99, 'm0099_future.sql', 0)")
        #expect {
            _ = try FeatureStore(path: path)
        } throws: { error in
            guard case LarderError.storeTooNew(_, 99, storeMigrations.count) = error else { return false }
            return "\(error)".contains("schema version 99") && "\(error)".contains("supports up to \(storeMigrations.count)")
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
