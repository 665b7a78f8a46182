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

    /// What the writes keep in `view_versions` (migration 5); a scan of the
    /// table for a version created before it that no run has written since.
    func newestEventTime(of view: FeatureView) throws -> Timestamp? {
        let kept = try db.statement("SELECT events_known, newest_event_at FROM view_versions WHERE view = ? AND version = ?")
        kept.bind(view.name, at: 1)
        kept.bind(Int64(view.version), at: 2)
        let known: Bool, newest: Int64?
        do {
            defer { kept.reset() }
            guard try kept.step() else { return nil }
            known = kept.int64(0) != 0
            newest = kept.isNull(1) ? nil : kept.int64(1)
        }
        if known { return newest.map(Timestamp.init(microseconds:)) }
        let scan = try db.statement("SELECT MAX(event_timestamp) FROM \(Identifier.quoted(view.tableName))")
        defer { scan.reset() }
        guard try scan.step(), !scan.isNull(0) else { return nil }
        return Timestamp(microseconds: scan.int64(0))
    }

    func integrityCheck() throws -> String {
        try db.queryText("PRAGMA integrity_check")
    }
}
