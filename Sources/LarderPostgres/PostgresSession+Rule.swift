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
/// miss, a second statement tells `notFound` from `outsideMaxAge`. A spine
/// is answered in one statement (``matches(_:at:asOf:in:into:eventTimes:status:)``).
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

    /// The whole spine in one statement per ``spineChunk`` rows, not one
    /// round trip per row: the spine goes up as arrays (row numbers, times,
    /// window starts, one array per join key), `unnest` turns them into
    /// rows, and a `LATERAL` subquery applies the rule above to each:
    ///
    /// ```sql
    /// SELECT s.i, w.event_timestamp, w.<features>…[, CASE WHEN w.event_timestamp IS NULL THEN EXISTS (…) END]
    /// FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::<key type>[]…) AS s(i, at, lo, k0…)
    /// LEFT JOIN LATERAL (<the rule with s.k0…, s.at, s.lo> LIMIT 1) AS w ON true
    /// ```
    ///
    /// (an inner join when `status` is false: a row with no winner is
    /// `notFound` without asking why). Each spine row is one backward walk
    /// of the table's primary key, as on SQLite, without a round trip.
    func matches(_ keys: [Column], at times: [Int64], asOf: Int64, in view: FeatureView,
                 into columns: inout [Column], eventTimes: inout [Int64], status: Bool) throws -> [PointInTime.Match] {
        var matches = [PointInTime.Match](repeating: .notFound, count: times.count)
        let sql = PostgresSession.spineRule(view, status: status)
        var first = 0
        while first < times.count {
            let rows = first..<min(times.count, first + PostgresSession.spineChunk)
            first = rows.upperBound
            var numbers: [Int64] = [], ats: [Int64] = [], starts: [Int64] = []
            var components = view.joinKeys.map { _ in [Int64]() }, texts = view.joinKeys.map { _ in [String]() }
            for row in rows where !keys.contains(where: { !$0.isValid(row) }) {
                numbers.append(Int64(row))
                ats.append(times[row])
                starts.append(PointInTime.windowStart(at: times[row], ttl: view.ttl))
                for (c, key) in keys.enumerated() {
                    if view.joinKeys[c].type == .int64 {
                        components[c].append(key.ints[row])
                    } else {
                        texts[c].append(String(decoding: key.bytes[key.offsets[row]..<key.offsets[row + 1]], as: UTF8.self))
                    }
                }
            }
            guard !numbers.isEmpty else { continue }
            var binds = PostgresBindings(capacity: 4 + keys.count)
            binds.append(numbers)
            binds.append(ats)
            binds.append(starts)
            for c in keys.indices {
                if view.joinKeys[c].type == .int64 { binds.append(components[c]) } else { binds.append(texts[c]) }
            }
            binds.append(asOf)
            let found = view.features.count + 2
            for result in try link.query(sql, binds).rows {
                let cursor = PostgresCursor(result)
                let row = Int(cursor.int64(0))
                if cursor.isNull(1) {
                    matches[row] = !cursor.isNull(Int32(found)) && cursor.int64(Int32(found)) == 1 ? .outsideMaxAge : .notFound
                    continue
                }
                matches[row] = .row(columns.first?.count ?? eventTimes.count)
                eventTimes.append(cursor.int64(1))
                for f in columns.indices { columns[f].append(from: cursor, at: Int32(f + 2)) }
            }
        }
        return matches
    }

    /// Spine rows sent in one statement (its arrays stay a few megabytes).
    static let spineChunk = 100_000

    /// The statement of ``matches(_:at:asOf:in:into:eventTimes:status:)``
    /// for `view`; its last parameter is `asOf`.
    private static func spineRule(_ view: FeatureView, status: Bool) -> String {
        let n = view.joinKeys.count
        let keyNames = view.joinKeys.indices.map { "k\($0)" }
        let types = view.joinKeys.enumerated().map { "$\($0 + 4)::\($1.type == .int64 ? "bigint" : "text")[]" }
        let sameKey = view.joinKeys.enumerated().map { c, key in
            "t.\(Identifier.quoted(key.name)) = s.k\(c)\(key.type == .int64 ? "" : " COLLATE \"C\"")"
        }.joined(separator: " AND ")
        let asOf = "$\(n + 4)"
        let features = view.features.map { ", t.\(Identifier.quoted($0.name))" }.joined()
        let winner = "SELECT t.event_timestamp\(features) FROM \(ruleTable(view)) WHERE \(sameKey)"
            + " AND t.event_timestamp <= s.at AND t.event_timestamp >= s.lo AND r.committed_at <= \(asOf)"
            + " ORDER BY t.event_timestamp DESC, t.created_timestamp DESC, t.\(ViewTable.runColumn) DESC LIMIT 1"
        let outputs = view.features.map { ", w.\(Identifier.quoted($0.name))" }.joined()
        let why = status
            ? ", CASE WHEN w.event_timestamp IS NULL THEN EXISTS (SELECT 1 FROM \(ruleTable(view)) WHERE \(sameKey) AND r.committed_at <= \(asOf)) END"
            : ""
        return "SELECT s.i, w.event_timestamp\(outputs)\(why)"
            + " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], \(types.joined(separator: ", "))) AS s(i, at, lo, \(keyNames.joined(separator: ", ")))"
            + (status ? " LEFT JOIN LATERAL (\(winner)) AS w ON true" : " CROSS JOIN LATERAL (\(winner)) AS w")
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
