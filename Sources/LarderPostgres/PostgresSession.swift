import Larder
import PostgresNIO

/// One connection to a store on PostgreSQL, as the storage protocols see it
/// (``RegistryStorage``, ``RunStorage``, ``CacheSource``, ``RuleSource``,
/// ``ExportSource``, ``StatisticsSource``, ``LedgerStorage``): the only SQL of
/// this engine. Used by one thread at a time, like its connection.
final class PostgresSession: StoreSession {
    /// The connection.
    let link: PostgresLink

    /// A session over `link`.
    init(link: PostgresLink) {
        self.link = link
    }

    func rowCount(of view: FeatureView) throws -> Int {
        Int(try link.queryInt("SELECT COUNT(*) FROM \(Identifier.quoted(view.tableName))"))
    }

    /// What the writes keep in `view_versions` (migration pg0002); a scan of
    /// the table for a version created before it that no run has written since.
    func newestEventTime(of view: FeatureView) throws -> Timestamp? {
        guard let kept = try link.query("SELECT events_known, newest_event_at FROM view_versions WHERE view = $1 AND version = $2",
                                        PostgresBindings(view.name, Int64(view.version))).rows.first else { return nil }
        let known = PostgresCursor(kept)
        if known.int64(0) != 0 { return known.isNull(1) ? nil : Timestamp(microseconds: known.int64(1)) }
        guard let row = try link.query("SELECT MAX(event_timestamp) FROM \(Identifier.quoted(view.tableName))").rows.first else { return nil }
        let cursor = PostgresCursor(row)
        return cursor.isNull(0) ? nil : Timestamp(microseconds: cursor.int64(0))
    }

    /// PostgreSQL checks its pages itself (checksums, WAL); this checks that
    /// every view version's table is there.
    func integrityCheck() throws -> String {
        let missing = try link.query("""
            SELECT v.table_name FROM view_versions v
            WHERE to_regclass(quote_ident(v.table_name)) IS NULL ORDER BY v.table_name
            """).rows.map { PostgresCursor($0).text(0) }
        return missing.isEmpty ? "ok" : "missing tables: " + missing.joined(separator: ", ")
    }
}

extension PostgresBindings {
    /// Bindings of `values`, in order.
    init(_ values: any PostgresDynamicTypeEncodable...) {
        self.init(capacity: values.count)
        for value in values { append(value) }
    }
}
