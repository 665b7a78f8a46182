import Larder
import Foundation
import NIOPosix

extension FeatureStore {
    /// Opens (creating when asked, and migrating) the store in the
    /// PostgreSQL database at `url`, `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
    /// (the password may come from `$PGPASSWORD`). Every user-visible behaviour
    /// is the same as on SQLite (docs/scale-out.md).
    ///
    /// Snapshot files are kept in a local folder (a cache, derived from the
    /// store): `$LARDER_CACHE_DIR`, else `$XDG_CACHE_HOME/larder`, else
    /// `~/.cache/larder`, then `postgres-HOST-PORT-DATABASE.cache`.
    ///
    /// Throws `invalidInput` for a URL that is not one, `io` when the server
    /// cannot be reached, ``LarderError/storeTooNew(path:storeVersion:supportedVersion:)``
    /// for a store written by a newer Larder.
    public convenience init(postgres url: String, options: Options = Options()) throws(LarderError) {
        let address = try PostgresAddress(parsing: url)
        let folder = FeatureStore.snapshotFolder(for: address)
        if options.snapshotFiles {
            try? FileManager.default.createDirectory(atPath: (folder as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        }
        try self.init(engine: PostgresStorage(address: address, loop: PostgresStorage.group.next()),
                      location: address.description, snapshotFolder: folder, options: options)
    }

    /// Opens the store at `location`: a PostgreSQL URL (``init(postgres:options:)``)
    /// or a SQLite file path (``init(path:options:)``). What the CLI's `--store` takes.
    public static func open(_ location: String, options: Options = Options()) throws(LarderError) -> FeatureStore {
        PostgresAddress.isPostgres(location) ? try FeatureStore(postgres: location, options: options) : try FeatureStore(path: location, options: options)
    }

    /// The local folder of the snapshot files of the store at `address`.
    static func snapshotFolder(for address: PostgresAddress) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["LARDER_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 + "/larder" }
            ?? (NSHomeDirectory() + "/.cache/larder")
        let name = "postgres-\(address.host)-\(address.port)-\(address.database)".map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }
        return base + "/" + String(name) + ".cache"
    }
}
