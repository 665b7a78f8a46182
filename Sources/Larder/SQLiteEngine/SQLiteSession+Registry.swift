import CLarderSQLite
import Foundation

extension SQLiteSession: RegistryStorage {
    var location: String { db.path }

    func migrate() throws -> [Int] { try StoreMigrator.migrate(db) }

    func schemaVersion() throws -> Int { try StoreMigrator.currentVersion(db) }

    /// `PRAGMA data_version`: changes when another connection commits.
    func changeCounter() throws -> Int64 { try db.queryInt("PRAGMA data_version") }

    func writing<R>(_ body: () throws -> R) throws -> R { try db.transaction(.immediate, body) }

    /// The registry as one state of the store: read in one read
    /// transaction (or the caller's), so that another process's commit
    /// between two of its queries cannot make it look inconsistent.
    func loadRegistry() throws -> RegistrySnapshot {
        db.isInTransaction ? try Self.loadTables(db) : try db.transaction(.deferred) { try Self.loadTables(db) }
    }

    private static func loadTables(_ db: Connection) throws -> RegistrySnapshot {
        // See <https://www.sqlite.org/c3ref/limit.html>.
        var loader = RegistryLoader(path: db.path, columnLimit: Int(sqlite3_limit(db.handle, SQLITE_LIMIT_COLUMN, -1)))
        try each(db, "SELECT name, join_keys, description FROM entities") { try loader.entity($0) }
        try each(db, """
            SELECT f.view_version_id, f.name, f.type, f.expectations, f.description, v.view, v.version
            FROM features f LEFT JOIN view_versions v ON v.id = f.view_version_id
            ORDER BY f.view_version_id, f.position
            """) { try loader.feature($0) }
        try each(db, """
            SELECT id, view, version, entity, join_keys, ttl_us, description, owner, tags, created_at
            FROM view_versions ORDER BY view, version
            """) { try loader.viewVersion($0) }
        try each(db, "SELECT view, last_version FROM view_version_numbers") { loader.issuedVersion($0) }
        try each(db, "SELECT name, version, refs, description, created_at FROM feature_sets ORDER BY name, version") { try loader.featureSet($0) }
        return try loader.finish()
    }

    /// Calls `body` with each row of `sql`.
    private static func each(_ db: Connection, _ sql: String, _ body: (Statement) throws -> Void) throws {
        let statement = try db.statement(sql)
        defer { statement.reset() }
        while try statement.step() { try body(statement) }
    }

    // MARK: Writes (inside ``writing(_:)``)

    func save(_ entity: Entity) throws {
        let sql = "INSERT INTO entities (name, join_keys, description) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET join_keys = ?2, description = ?3"
        let statement = try db.statement(sql)
        statement.bind(entity.name, at: 1)
        statement.bind(try Registry.encode(entity.joinKeys.map { Registry.StoredJoinKey(name: $0.name, type: $0.type.rawValue) }), at: 2)
        statement.bind(entity.description, at: 3)
        try statement.run()
    }

    func insertVersion(_ view: FeatureView, createdAt: Int64) throws {
        let parent = try db.statement("INSERT OR IGNORE INTO feature_views (name) VALUES (?)")
        parent.bind(view.name, at: 1)
        try parent.run()
        let insert = try db.statement("""
            INSERT INTO view_versions (view, version, entity, join_keys, ttl_us, description, owner, tags, table_name, created_at, events_known)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
            """)
        insert.bind(view.name, at: 1)
        insert.bind(Int64(view.version), at: 2)
        insert.bind(view.definition.entity, at: 3)
        insert.bind(try Registry.encode(view.joinKeys.map { Registry.StoredJoinKey(name: $0.name, type: $0.type.rawValue) }), at: 4)
        insert.bind(view.ttl, at: 5)
        insert.bind(view.definition.description, at: 6)
        insert.bind(view.definition.owner, at: 7)
        insert.bind(try Registry.encode(view.definition.tags), at: 8)
        insert.bind(view.tableName, at: 9)
        insert.bind(createdAt, at: 10)
        try insert.run()
        let id = db.lastInsertRowID
        let issued = try db.statement("""
            INSERT INTO view_version_numbers (view, last_version) VALUES (?1, ?2)
            ON CONFLICT(view) DO UPDATE SET last_version = max(last_version, excluded.last_version)
            """)
        issued.bind(view.name, at: 1)
        issued.bind(Int64(view.version), at: 2)
        try issued.run()
        let feature = try db.statement("INSERT INTO features (view_version_id, position, name, type, expectations, description) VALUES (?, ?, ?, ?, ?, ?)")
        for (position, f) in view.features.enumerated() {
            feature.bind(id, at: 1)
            feature.bind(Int64(position), at: 2)
            feature.bind(f.name, at: 3)
            feature.bind(f.type.description, at: 4)
            feature.bind(try Registry.encode(Registry.StoredExpectations(f.expectations)), at: 5)
            feature.bind(f.description, at: 6)
            try feature.run()
        }
        try createTable(view)
    }

    /// Creates the table of `view` (layout: ``ViewTable``).
    private func createTable(_ view: FeatureView) throws {
        var columns = view.joinKeys.map { "\(Identifier.quoted($0.name)) \($0.type == .int64 ? "INTEGER" : "TEXT") NOT NULL" }
        columns += ["event_timestamp INTEGER NOT NULL", "created_timestamp INTEGER NOT NULL", "\(ViewTable.runColumn) INTEGER NOT NULL"]
        columns += view.features.map { "\(Identifier.quoted($0.name)) \($0.type.sqlType)" }
        let key = (view.joinKeys.map { Identifier.quoted($0.name) } + ViewTable.fixedColumns).joined(separator: ", ")
        try db.execute("CREATE TABLE \(Identifier.quoted(view.tableName)) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(key))) WITHOUT ROWID")
    }

    func updateMetadata(of view: FeatureView) throws {
        let statement = try db.statement("UPDATE view_versions SET description = ?, owner = ?, tags = ? WHERE view = ? AND version = ?")
        statement.bind(view.definition.description, at: 1)
        statement.bind(view.definition.owner, at: 2)
        statement.bind(try Registry.encode(view.definition.tags), at: 3)
        statement.bind(view.name, at: 4)
        statement.bind(Int64(view.version), at: 5)
        try statement.run()
        let feature = try db.statement("""
            UPDATE features SET expectations = ?, description = ?
            WHERE view_version_id = (SELECT id FROM view_versions WHERE view = ? AND version = ?) AND name = ?
            """)
        for f in view.features {
            feature.bind(try Registry.encode(Registry.StoredExpectations(f.expectations)), at: 1)
            feature.bind(f.description, at: 2)
            feature.bind(view.name, at: 3)
            feature.bind(Int64(view.version), at: 4)
            feature.bind(f.name, at: 5)
            try feature.run()
        }
    }

    func copyRows(from old: FeatureView, to new: FeatureView) throws {
        try db.execute(ViewTable.copyRowsSQL(from: old, to: new))
        try SQLiteSession.keepNewestEventTime(db, of: new)
    }

    /// Sets the newest event time kept for `view` (migration 5) from a scan
    /// of its table: after a copy, or the first run of a version created
    /// before that migration.
    static func keepNewestEventTime(_ db: Connection, of view: FeatureView) throws {
        let statement = try db.statement("""
            UPDATE view_versions SET newest_event_at = (SELECT MAX(event_timestamp) FROM \(Identifier.quoted(view.tableName))), events_known = 1
            WHERE view = ? AND version = ?
            """)
        statement.bind(view.name, at: 1)
        statement.bind(Int64(view.version), at: 2)
        try statement.run()
    }

    func insert(_ set: FeatureSet, createdAt: Int64) throws {
        let statement = try db.statement("INSERT INTO feature_sets (name, version, refs, description, created_at) VALUES (?, ?, ?, ?, ?)")
        statement.bind(set.name, at: 1)
        statement.bind(Int64(set.version), at: 2)
        statement.bind(try Registry.encode(set.features.map(\.description)), at: 3)
        statement.bind(set.description, at: 4)
        statement.bind(createdAt, at: 5)
        try statement.run()
    }

    func updateDescription(of set: FeatureSet) throws {
        let statement = try db.statement("UPDATE feature_sets SET description = ? WHERE name = ? AND version = ?")
        statement.bind(set.description, at: 1)
        statement.bind(set.name, at: 2)
        statement.bind(Int64(set.version), at: 3)
        try statement.run()
    }

    func dropVersion(_ view: FeatureView) throws {
        db.clearStatementCache()
        rules[view.tableName] = nil
        try db.execute("DROP TABLE IF EXISTS \(Identifier.quoted(view.tableName))")
        let delete = try db.statement("DELETE FROM view_versions WHERE view = ? AND version = ?")
        delete.bind(view.name, at: 1)
        delete.bind(Int64(view.version), at: 2)
        try delete.run()
        let orphan = try db.statement("DELETE FROM feature_views WHERE name = ? AND NOT EXISTS (SELECT 1 FROM view_versions WHERE view = ?)")
        orphan.bind(view.name, at: 1)
        orphan.bind(view.name, at: 2)
        try orphan.run()
    }
}
