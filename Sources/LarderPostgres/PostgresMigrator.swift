import Larder
import LarderMigrations
import PostgresNIO

/// Brings a store on PostgreSQL up to this build's migrations
/// (`migrations/postgres/pg*.sql`), and refuses stores written by a newer Larder.
enum PostgresMigrator {
    /// The newest schema version this build knows.
    static var supportedVersion: Int { postgresMigrations.last?.version ?? 0 }

    /// Applies every migration the store has not recorded, in order, in one
    /// transaction under the store's write lock. Returns the versions applied.
    static func migrate(_ link: PostgresLink) throws -> [Int] {
        if try hasMigrationsTable(link), try currentVersion(link) == supportedVersion { return [] }
        return try link.writing {
            try link.query("""
                CREATE TABLE IF NOT EXISTS larder_migrations (
                    version bigint PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)
                """)
            let current = try currentVersion(link)
            var applied: [Int] = []
            for migration in postgresMigrations where migration.version > current {
                for statement in statements(of: migration.sql) { try link.query(statement) }
                try link.query("INSERT INTO larder_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                               PostgresBindings(Int64(migration.version), migration.fileName, Timestamp.nowMicroseconds()))
                applied.append(migration.version)
            }
            return .commit(applied)
        }
    }

    /// The schema version the store records.
    static func currentVersion(_ link: PostgresLink) throws -> Int {
        let version = Int(try link.queryInt("SELECT COALESCE(MAX(version), 0) FROM larder_migrations"))
        if version > supportedVersion {
            throw LarderError.storeTooNew(path: link.address.description, storeVersion: version, supportedVersion: supportedVersion)
        }
        return version
    }

    /// Whether the database holds a Larder store (its migrations table).
    static func hasMigrationsTable(_ link: PostgresLink) throws -> Bool {
        try link.queryInt("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'larder_migrations'") > 0
    }

    /// The statements of a migration file: each ends with `;` at the end of
    /// a line (the extended protocol runs one statement at a time).
    static func statements(of sql: String) -> [String] {
        var statements: [String] = [], current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = line.hasPrefix("--") ? "" : line
            current += code + "\n"
            if code.trimmingTrailingSpaces.hasSuffix(";") {
                statements.append(current)
                current = ""
            }
        }
        if current.contains(where: { !$0.isWhitespace }) { statements.append(current) }
        return statements
    }
}

extension Substring {
    /// The text without its trailing spaces.
    fileprivate var trimmingTrailingSpaces: Substring {
        var text = self
        while text.last?.isWhitespace == true { text = text.dropLast() }
        return text
    }
}
