/// The SQLite storage engine: a store is one file (and its companions),
/// each session one connection in WAL mode (see ``StoreFiles``).
struct SQLiteStorage: StorageEngine {
    /// The store file.
    let path: String
    /// How long a connection waits for another's write lock, in milliseconds.
    let busyTimeoutMilliseconds: Int32
    /// Commit with `synchronous = FULL` (see ``FeatureStore/Options/durable``).
    let durable: Bool

    var files: [String] { StoreFiles.all(path) }

    func openWriter(create: Bool) throws -> any StoreSession {
        let db = try StoreFiles.open(path, create: create, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        if durable { try db.execute("PRAGMA synchronous = FULL") }
        return SQLiteSession(db: db)
    }

    func openReader() throws -> any StoreSession {
        SQLiteSession(db: try StoreFiles.open(path, create: false, busyTimeoutMilliseconds: busyTimeoutMilliseconds))
    }
}
