import Larder
import NIOPosix

/// What ``FeatureStore/migrateStore(from:to:)`` copied: every table, with
/// its rows and checksum, the same in the source and, read back, in the target.
public struct StoreMigrationReport: Sendable {
    /// One table copied.
    public struct Table: Sendable {
        /// The table's name (`runs`, `fv_driver_stats_v2`, …).
        public let name: String
        /// Its rows, on both sides.
        public let rows: Int
        /// The SHA-256 of its rows in primary-key order, each value in one
        /// canonical form (hex), on both sides.
        public let checksum: String
    }

    /// Every table, in the order copied: Larder's, then each view version's.
    public let tables: [Table]
}

extension FeatureStore {
    /// Copies the SQLite store at `path` into the empty PostgreSQL database
    /// at `url` (docs/scale-out.md): the registry (every view version,
    /// feature set, entity and definition), the runs with their ids, times,
    /// statistics and ledger, and every view version's rows. Each table is
    /// read back and must have the source's row count and checksum. All of
    /// it is one PostgreSQL transaction, so a failure leaves the target as
    /// it was: nothing partial is ever kept.
    ///
    /// The target's tables are created first (as `larder init` does) when
    /// the database has none. Throws `conflict` when the target holds any
    /// entity, view, feature set, run or ledger entry; `storage` when the
    /// source is damaged (SQLite's integrity check), holds a table this
    /// Larder does not know, or a table did not arrive whole.
    @discardableResult
    public static func migrateStore(from path: String, to url: String) throws(LarderError) -> StoreMigrationReport {
        let address = try PostgresAddress(parsing: url)
        guard !PostgresAddress.isPostgres(path) else {
            throw LarderError(.invalidInput, "--from must be a SQLite store file, not \(path)")
        }
        let source = try FeatureStore(path: path, options: Options(create: false, snapshotFiles: false))
        let check = try source.integrityCheck()
        guard check == "ok" else {
            throw LarderError(.storage, "\(path): the store is damaged (\(check)); nothing was copied", path: path)
        }
        do {
            let link = try PostgresLink(address: address, loop: PostgresStorage.group.next())
            _ = try PostgresMigrator.migrate(link)
            return try source.readingTables { tables, registry in
                try link.writing {
                    .commit(StoreMigrationReport(tables: try PostgresStoreCopy(link: link, source: tables, registry: registry, sourcePath: path).run()))
                }
            }
        } catch let error as PostgresError {
            throw error.larderError(store: nil)
        } catch let error as LarderError {
            throw error
        } catch {
            throw LarderError(.storage, "\(address): \(error)", path: address.description)
        }
    }
}
