import Larder
import PostgresNIO

extension PostgresSession: ExportSource {
    /// One scan of the table in primary-key order (its index), through a
    /// cursor, in a read transaction. An export with no rows still hands
    /// over one empty batch.
    func scan(_ view: FeatureView, from: Int64?, to: Int64?, asOf: Int64?, batchRows: Int,
              _ body: ([Column]) -> Bool) throws {
        let columns = ViewTable.columns(view).map(Identifier.quoted).joined(separator: ", ")
        let key = (view.joinKeys.map(\.name) + ViewTable.fixedColumns).map(Identifier.quoted).joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(Identifier.quoted(view.tableName)) WHERE true"
        if let from { sql += " AND event_timestamp >= \(from)" }
        if let to { sql += " AND event_timestamp < \(to)" }
        if let asOf { sql += " AND \(ViewTable.runColumn) IN (SELECT id FROM runs WHERE committed_at <= \(asOf))" }
        sql += " ORDER BY \(key)"
        let types = view.joinKeys.map(\.type.featureType) + [.timestamp, .timestamp, .int64] + view.features.map(\.type)
        try link.reading {
            var batch = types.map { Column(type: $0, capacity: batchRows) }
            var sent = 0, stopped = false
            try link.scan(sql, batchRows: PostgresSession.scanRows) { rows in
                for row in rows.rows {
                    let cursor = PostgresCursor(row)
                    for i in batch.indices { batch[i].append(from: cursor, at: Int32(i)) }
                    if batch[0].count == batchRows {
                        guard body(batch) else {
                            stopped = true
                            return false
                        }
                        sent += 1
                        batch = types.map { Column(type: $0, capacity: batchRows) }
                    }
                }
                return true
            }
            if !stopped, batch[0].count > 0 || sent == 0 { _ = body(batch) }
        }
    }
}
