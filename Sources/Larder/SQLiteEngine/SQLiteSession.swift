/// One connection to a SQLite store, as the storage protocols above see it
/// (``RegistryStorage``, ``RunStorage``, ``CacheSource``, ``RuleSource``,
/// ``ExportSource``): the only place outside this folder's own files that
/// SQL is written. Used by one thread at a time, like its connection.
final class SQLiteSession: StoreSession {
    /// The connection.
    let db: Connection
    /// The point-in-time rule's statements per view table, built once.
    var rules: [String: SQLiteRule] = [:]

    /// A session over `db`.
    init(db: Connection) {
        self.db = db
    }

    func rowCount(of view: FeatureView) throws -> Int {
        Int(try db.queryInt("SELECT COUNT(*) FROM \(Identifier.quoted(view.tableName))"))
    }

    func newestEventTime(of view: FeatureView) throws -> Timestamp? {
        let statement = try db.statement("SELECT MAX(event_timestamp) FROM \(Identifier.quoted(view.tableName))")
        defer { statement.reset() }
        guard try statement.step(), !statement.isNull(0) else { return nil }
        return Timestamp(microseconds: statement.int64(0))
    }

    func integrityCheck() throws -> String {
        try db.queryText("PRAGMA integrity_check")
    }
}
