import Larder
import PostgresNIO

/// The point-in-time rule stated in SQL, for view versions that are not
/// cached: the same rule as the cache's (and SQLite's `SQLiteRule`),
/// answered by PostgreSQL. The winning row is
///
/// ```sql
/// SELECT t.event_timestamp, t.<features>… FROM fv_<view>_v<N> AS t
/// JOIN runs AS r ON r.id = t.__run_id
/// WHERE t.<key> = $1… AND t.event_timestamp <= $T AND t.event_timestamp >= $windowStart
///   AND r.committed_at <= $asOf
/// ORDER BY t.event_timestamp DESC, t.created_timestamp DESC, t.__run_id DESC LIMIT 1
/// ```
///
/// which walks the table's primary key backwards from `(key, T)`. On a
/// miss, a second statement tells `notFound` from `outsideMaxAge`.
extension PostgresSession: RuleSource {
    func match<K: KeyProbe>(_ key: K, at time: Int64, asOf: Int64, in view: FeatureView,
                            into columns: inout [Column], eventTime: inout Int64, status: Bool) throws -> PointInTime.Match {
        let table = PostgresSession.ruleTable(view)
        let n = view.joinKeys.count
        let features = view.features.map { ", t.\(Identifier.quoted($0.name))" }.joined()
        var binds = PostgresSession.keyBindings(key, view)
        binds.append(time)
        binds.append(PointInTime.windowStart(at: time, ttl: view.ttl))
        binds.append(asOf)
        let rows = try link.query("SELECT t.event_timestamp\(features) FROM \(table) WHERE \(PostgresSession.keyTest(view))"
            + " AND t.event_timestamp <= $\(n + 1) AND t.event_timestamp >= $\(n + 2) AND r.committed_at <= $\(n + 3)"
            + " ORDER BY t.event_timestamp DESC, t.created_timestamp DESC, t.\(ViewTable.runColumn) DESC LIMIT 1", binds).rows
        if let first = rows.first {
            let cursor = PostgresCursor(first)
            let row = columns.first?.count ?? 0
            eventTime = cursor.int64(0)
            for f in columns.indices { columns[f].append(from: cursor, at: Int32(f + 1)) }
            return .row(row)
        }
        guard status else { return .notFound }
        var existsBinds = PostgresSession.keyBindings(key, view)
        existsBinds.append(asOf)
        let exists = try link.query("SELECT 1 FROM \(table) WHERE \(PostgresSession.keyTest(view)) AND r.committed_at <= $\(n + 1) LIMIT 1",
                                    existsBinds).rows
        return exists.isEmpty ? .notFound : .outsideMaxAge
    }

    func keys(of view: FeatureView, asOf: Int64) throws -> [Column] {
        let keys = view.joinKeys.map { "t.\(Identifier.quoted($0.name))" }.joined(separator: ", ")
        var columns = view.joinKeys.map { Column(type: $0.type.featureType) }
        for r in try link.query("SELECT DISTINCT \(keys) FROM \(PostgresSession.ruleTable(view)) WHERE r.committed_at <= $1 ORDER BY \(keys)",
                                PostgresBindings(asOf)).rows {
            let cursor = PostgresCursor(r)
            for c in columns.indices { columns[c].append(from: cursor, at: Int32(c)) }
        }
        return columns
    }

    /// The view's table joined to the runs that wrote its rows.
    private static func ruleTable(_ view: FeatureView) -> String {
        "\(Identifier.quoted(view.tableName)) AS t JOIN runs AS r ON r.id = t.\(ViewTable.runColumn)"
    }

    /// `t.<key> = $1 AND …`, one parameter per join key.
    private static func keyTest(_ view: FeatureView) -> String {
        view.joinKeys.enumerated().map { "t.\(Identifier.quoted($1.name)) = $\($0 + 1)" }.joined(separator: " AND ")
    }

    /// The components of `key`, one parameter each.
    private static func keyBindings<K: KeyProbe>(_ key: K, _ view: FeatureView) -> PostgresBindings {
        var binds = PostgresBindings(capacity: view.joinKeys.count + 3)
        for (c, joinKey) in view.joinKeys.enumerated() {
            if joinKey.type == .int64 {
                binds.append(key.int64(c))
            } else {
                binds.append(key.withUTF8(c) { String(decoding: $0, as: UTF8.self) })
            }
        }
        return binds
    }
}
