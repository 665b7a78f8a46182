/// One embedded schema migration of the Larder store.
public struct Migration: Sendable {
    /// The migration's number: `1` for `m0001_init.sql`.
    public let version: Int
    /// The file name under `migrations/`.
    public let fileName: String
    /// The SQL text, as embedded at build time.
    public let sql: String
}

/// Every migration of the store schema, in the order they are applied.
///
/// A test checks that every `m*.sql` file in `migrations/` appears here.
public let storeMigrations: [Migration] = [
    Migration(version: 1, fileName: "m0001_init.sql", sql: String(decoding: PackageResources.m0001_init_sql, as: UTF8.self)),
    Migration(version: 2, fileName: "m0002_view_version_numbers.sql",
              sql: String(decoding: PackageResources.m0002_view_version_numbers_sql, as: UTF8.self)),
    Migration(version: 3, fileName: "m0003_run_statistics.sql",
              sql: String(decoding: PackageResources.m0003_run_statistics_sql, as: UTF8.self)),
    Migration(version: 4, fileName: "m0004_backfill_ledger.sql",
              sql: String(decoding: PackageResources.m0004_backfill_ledger_sql, as: UTF8.self)),
    Migration(version: 5, fileName: "m0005_newest_event_time.sql",
              sql: String(decoding: PackageResources.m0005_newest_event_time_sql, as: UTF8.self)),
]

/// Every migration of the store schema on PostgreSQL (`migrations/postgres/pg*.sql`),
/// in the order they are applied; numbered apart from SQLite's.
public let postgresMigrations: [Migration] = [
    Migration(version: 1, fileName: "postgres/pg0001_init.sql", sql: String(decoding: PackageResources.pg0001_init_sql, as: UTF8.self)),
    Migration(version: 2, fileName: "postgres/pg0002_newest_event_time.sql",
              sql: String(decoding: PackageResources.pg0002_newest_event_time_sql, as: UTF8.self)),
]
