import Larder
import PostgresNIO

extension PostgresSession: RegistryStorage {
    var location: String { link.address.description }

    func migrate() throws -> [Int] { try PostgresMigrator.migrate(link) }

    func schemaVersion() throws -> Int { try PostgresMigrator.currentVersion(link) }

    /// The counter that every write transaction adds one to (`larder_store`),
    /// read once more on a new connection when the connection was lost
    /// since the last statement.
    func changeCounter() throws -> Int64 {
        guard let row = try link.queryTwiceIfLost("SELECT changes FROM larder_store").rows.first else { return 0 }
        return PostgresCursor(row).int64(0)
    }

    func writing<R>(_ body: () throws -> R) throws -> R { try link.writing { .commit(try body()) } }

    /// The registry as one state of the store: one read transaction (or the caller's).
    func loadRegistry() throws -> RegistrySnapshot {
        try link.reading { try loadTables() }
    }

    /// The registry tables' rows, through the loader every engine shares;
    /// PostgreSQL allows 1,600 columns in a table.
    private func loadTables() throws -> RegistrySnapshot {
        var loader = RegistryLoader(path: location, columnLimit: 1600)
        for row in try link.query("SELECT name, join_keys, description FROM entities").rows { try loader.entity(PostgresCursor(row)) }
        for row in try link.query("""
            SELECT f.view_version_id, f.name, f.type, f.expectations, f.description, v.view, v.version
            FROM features f LEFT JOIN view_versions v ON v.id = f.view_version_id
            ORDER BY f.view_version_id, f.position
            """).rows { try loader.feature(PostgresCursor(row)) }
        for row in try link.query("""
            SELECT id, view, version, entity, join_keys, ttl_us, description, owner, tags, created_at
            FROM view_versions ORDER BY view, version
            """).rows { try loader.viewVersion(PostgresCursor(row)) }
        for row in try link.query("SELECT view, last_version FROM view_version_numbers").rows { loader.issuedVersion(PostgresCursor(row)) }
        for row in try link.query("SELECT name, version, refs, description, created_at FROM feature_sets ORDER BY name, version").rows {
            try loader.featureSet(PostgresCursor(row))
        }
        return try loader.finish()
    }

    // MARK: Writes (inside ``writing(_:)``)

    func save(_ entity: Entity) throws {
        let keys = try Registry.encode(entity.joinKeys.map { Registry.StoredJoinKey(name: $0.name, type: $0.type.rawValue) })
        try link.query("""
            INSERT INTO entities (name, join_keys, description) VALUES ($1, $2, $3)
            ON CONFLICT (name) DO UPDATE SET join_keys = excluded.join_keys, description = excluded.description
            """, PostgresBindings(entity.name, keys, entity.description))
    }

    func insertVersion(_ view: FeatureView, createdAt: Int64) throws {
        try link.query("INSERT INTO feature_views (name) VALUES ($1) ON CONFLICT DO NOTHING", PostgresBindings(view.name))
        let keys = try Registry.encode(view.joinKeys.map { Registry.StoredJoinKey(name: $0.name, type: $0.type.rawValue) })
        let id = try link.queryInt("""
            INSERT INTO view_versions (view, version, entity, join_keys, ttl_us, description, owner, tags, table_name, created_at, events_known)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, true) RETURNING id
            """, PostgresBindings(view.name, Int64(view.version), view.definition.entity, keys, view.ttl, view.definition.description,
                                  view.definition.owner, try Registry.encode(view.definition.tags), view.tableName, createdAt))
        try link.query("""
            INSERT INTO view_version_numbers (view, last_version) VALUES ($1, $2)
            ON CONFLICT (view) DO UPDATE SET last_version = GREATEST(view_version_numbers.last_version, excluded.last_version)
            """, PostgresBindings(view.name, Int64(view.version)))
        for (position, f) in view.features.enumerated() {
            try link.query("""
                INSERT INTO features (view_version_id, position, name, type, expectations, description) VALUES ($1, $2, $3, $4, $5, $6)
                """, PostgresBindings(id, Int64(position), f.name, f.type.description,
                                      try Registry.encode(Registry.StoredExpectations(f.expectations)), f.description))
        }
        try createTable(view)
    }

    /// Creates the table of `view` (layout: ``ViewTable``). String keys
    /// compare byte by byte (`COLLATE "C"`), as on SQLite, so every scan in
    /// key order gives the same order on both engines.
    func createTable(_ view: FeatureView) throws {
        var columns = view.joinKeys.map { "\(Identifier.quoted($0.name)) \($0.type == .int64 ? "bigint" : "text COLLATE \"C\"") NOT NULL" }
        columns += ["event_timestamp bigint NOT NULL", "created_timestamp bigint NOT NULL", "\(ViewTable.runColumn) bigint NOT NULL"]
        columns += view.features.map { "\(Identifier.quoted($0.name)) \($0.type.postgresType)" }
        let key = (view.joinKeys.map { Identifier.quoted($0.name) } + ViewTable.fixedColumns).joined(separator: ", ")
        try link.query("CREATE TABLE \(Identifier.quoted(view.tableName)) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(key)))")
    }

    func updateMetadata(of view: FeatureView) throws {
        try link.query("UPDATE view_versions SET description = $1, owner = $2, tags = $3 WHERE view = $4 AND version = $5",
                       PostgresBindings(view.definition.description, view.definition.owner, try Registry.encode(view.definition.tags),
                                        view.name, Int64(view.version)))
        for f in view.features {
            try link.query("""
                UPDATE features SET expectations = $1, description = $2
                WHERE view_version_id = (SELECT id FROM view_versions WHERE view = $3 AND version = $4) AND name = $5
                """, PostgresBindings(try Registry.encode(Registry.StoredExpectations(f.expectations)), f.description,
                                      view.name, Int64(view.version), f.name))
        }
    }

    func copyRows(from old: FeatureView, to new: FeatureView) throws {
        try link.query(ViewTable.copyRowsSQL(from: old, to: new))
        try PostgresSession.keepNewestEventTime(link, of: new)
    }

    /// Sets the newest event time kept for `view` (migration pg0002) from a
    /// scan of its table: after a copy, or the first run of a version created
    /// before that migration.
    static func keepNewestEventTime(_ link: PostgresLink, of view: FeatureView) throws {
        try link.query("""
            UPDATE view_versions SET newest_event_at = (SELECT MAX(event_timestamp) FROM \(Identifier.quoted(view.tableName))), events_known = true
            WHERE view = $1 AND version = $2
            """, PostgresBindings(view.name, Int64(view.version)))
    }

    func insert(_ set: FeatureSet, createdAt: Int64) throws {
        try link.query("INSERT INTO feature_sets (name, version, refs, description, created_at) VALUES ($1, $2, $3, $4, $5)",
                       PostgresBindings(set.name, Int64(set.version), try Registry.encode(set.features.map(\.description)), set.description, createdAt))
    }

    func updateDescription(of set: FeatureSet) throws {
        try link.query("UPDATE feature_sets SET description = $1 WHERE name = $2 AND version = $3",
                       PostgresBindings(set.description, set.name, Int64(set.version)))
    }

    func dropVersion(_ view: FeatureView) throws {
        try link.query("DROP TABLE IF EXISTS \(Identifier.quoted(view.tableName))")
        try link.query("DELETE FROM view_versions WHERE view = $1 AND version = $2", PostgresBindings(view.name, Int64(view.version)))
        try link.query("DELETE FROM feature_views WHERE name = $1 AND NOT EXISTS (SELECT 1 FROM view_versions WHERE view = $1)",
                       PostgresBindings(view.name))
    }
}

extension FeatureType {
    /// The PostgreSQL column type of this type's values (a vector is its
    /// little-endian Float32s as `bytea`, as on SQLite).
    var postgresType: String {
        switch self {
        case .int64, .timestamp: "bigint"
        case .float64: "double precision"
        case .bool: "boolean"
        case .string: "text"
        case .bytes, .vector: "bytea"
        }
    }
}
