import LarderMigrations

/// Brings a store's schema up to date with the migrations embedded in this
/// build (`migrations/m*.sql`), and refuses stores written by a newer Larder.
enum StoreMigrator {
    /// The newest schema version this build knows.
    static var supportedVersion: Int { storeMigrations.last?.version ?? 0 }

    /// Applies every migration the store has not recorded, in order, in one
    /// `BEGIN IMMEDIATE` transaction. Returns the versions applied.
    @discardableResult
    static func migrate(_ db: Connection) throws -> [Int] {
        // Fast path, a read only: nothing to do (so a read-only store opens).
        if try db.hasTable("larder_migrations"), try currentVersion(db) == supportedVersion { return [] }
        if db.isReadOnly {
            throw LarderError.storage(path: db.path, message: "the store needs upgrading to schema version \(supportedVersion), but it is read-only here")
        }
        try db.execute("""
            CREATE TABLE IF NOT EXISTS larder_migrations (
                version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT
            """)
        return try db.transaction {
            let current = try currentVersion(db)
            if current > supportedVersion {
                throw LarderError.storeTooNew(path: db.path, storeVersion: current, supportedVersion: supportedVersion)
            }
            var applied: [Int] = []
            for migration in storeMigrations where migration.version > current {
                try db.execute(migration.sql)
                let insert = try db.statement("INSERT INTO larder_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                insert.bind(Int64(migration.version), at: 1)
                insert.bind(migration.fileName, at: 2)
                insert.bind(Timestamp.nowMicroseconds(), at: 3)
                try insert.run()
                applied.append(migration.version)
            }
            return applied
        }
    }

    /// The schema version the store records.
    static func currentVersion(_ db: Connection) throws -> Int {
        let version = Int(try db.queryInt("SELECT COALESCE(MAX(version), 0) FROM larder_migrations"))
        if version > supportedVersion {
            throw LarderError.storeTooNew(path: db.path, storeVersion: version, supportedVersion: supportedVersion)
        }
        return version
    }
}
