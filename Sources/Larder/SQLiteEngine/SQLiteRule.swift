/// The point-in-time rule stated in SQL, for view versions that are not
/// cached: the same rule as ``PointInTime/match(_:at:in:horizon:)``, answered
/// by SQLite with prepared, cached statements.
///
/// The winning row is
///
/// ```sql
/// SELECT t.event_timestamp, t.<features>… FROM fv_<view>_v<N> AS t
/// CROSS JOIN runs AS r ON r.id = t.__run_id
/// WHERE t.<key> = ?… AND t.event_timestamp <= :T AND t.event_timestamp >= :windowStart
///   AND r.committed_at <= :asOf
/// ORDER BY t.event_timestamp DESC, t.created_timestamp DESC, t.__run_id DESC LIMIT 1
/// ```
///
/// which walks the primary key backwards from `(key, T)` (the `CROSS JOIN`
/// keeps the view table as the outer loop), so no sort is done. On a miss,
/// a second statement tells ``PointInTime/Match/notFound`` from
/// ``PointInTime/Match/outsideMaxAge``: does the key have any row visible at
/// `asOf`?
struct SQLiteRule: Sendable {
    /// The view version the statements read.
    let view: FeatureView
    /// The winning row: `event_timestamp`, then every feature.
    let matchSQL: String
    /// Whether the key has a row visible at the horizon.
    let existsSQL: String
    /// The distinct keys with a row visible at the horizon, ascending.
    let keysSQL: String

    /// The statements for `view`.
    init(view: FeatureView) {
        self.view = view
        let table = "\(Identifier.quoted(view.tableName)) AS t CROSS JOIN runs AS r ON r.id = t.\(ViewTable.runColumn)"
        let keys = view.joinKeys.map { "t.\(Identifier.quoted($0.name))" }
        let keyTest = keys.enumerated().map { "\($1) = ?\($0 + 1)" }.joined(separator: " AND ")
        let n = keys.count
        let features = view.features.map { ", t.\(Identifier.quoted($0.name))" }.joined()
        matchSQL = "SELECT t.event_timestamp\(features) FROM \(table) WHERE \(keyTest)"
            + " AND t.event_timestamp <= ?\(n + 1) AND t.event_timestamp >= ?\(n + 2) AND r.committed_at <= ?\(n + 3)"
            + " ORDER BY t.event_timestamp DESC, t.created_timestamp DESC, t.\(ViewTable.runColumn) DESC LIMIT 1"
        existsSQL = "SELECT 1 FROM \(table) WHERE \(keyTest) AND r.committed_at <= ?\(n + 1) LIMIT 1"
        let keyList = keys.joined(separator: ", ")
        keysSQL = "SELECT DISTINCT \(keyList) FROM \(table) WHERE r.committed_at <= ?1 ORDER BY \(keyList)"
    }

    /// The rule for `key` at `time`, horizon `asOf`: appends the winning
    /// row's features to `columns` (one per feature of the view), sets
    /// `eventTime` to its event time, and returns `.row` with its index
    /// there. With `status` false a miss is reported as
    /// ``PointInTime/Match/notFound`` without finding out why.
    func match<K: KeyProbe>(_ key: K, at time: Int64, asOf: Int64, db: Connection,
                            into columns: inout [Column], eventTime: inout Int64, status: Bool) throws(SQLiteError) -> PointInTime.Match {
        let n = Int32(view.joinKeys.count)
        let statement = try db.statement(matchSQL)
        defer { statement.reset() }
        bind(key, to: statement)
        statement.bind(time, at: n + 1)
        statement.bind(PointInTime.windowStart(at: time, ttl: view.ttl), at: n + 2)
        statement.bind(asOf, at: n + 3)
        if try statement.step() {
            let row = columns.first?.count ?? 0
            eventTime = statement.int64(0)
            for f in columns.indices { columns[f].append(from: statement, at: Int32(f + 1)) }
            return .row(row)
        }
        guard status else { return .notFound }
        let exists = try db.statement(existsSQL)
        defer { exists.reset() }
        bind(key, to: exists)
        exists.bind(asOf, at: n + 1)
        return try exists.step() ? .outsideMaxAge : .notFound
    }

    /// The distinct keys with a row visible at `asOf`, ascending, as one
    /// column per join key.
    func keys(asOf: Int64, db: Connection) throws(SQLiteError) -> [Column] {
        let statement = try db.statement(keysSQL)
        defer { statement.reset() }
        statement.bind(asOf, at: 1)
        var columns = view.joinKeys.map { Column(type: $0.type.featureType) }
        while try statement.step() {
            for c in columns.indices { columns[c].append(from: statement, at: Int32(c)) }
        }
        return columns
    }

    private func bind<K: KeyProbe>(_ key: K, to statement: Statement) {
        for (c, joinKey) in view.joinKeys.enumerated() {
            if joinKey.type == .int64 {
                statement.bind(key.int64(c), at: Int32(c + 1))
            } else {
                key.withUTF8(c) { statement.bindText($0, at: Int32(c + 1)) }
            }
        }
    }
}
