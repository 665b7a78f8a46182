extension SQLiteSession: ExportSource {
    /// One scan of the table in primary-key order (no sort), in a read
    /// transaction. An export with no rows still hands over one empty batch.
    func scan(_ view: FeatureView, from: Int64?, to: Int64?, asOf: Int64?, batchRows: Int,
              _ body: ([Column]) -> Bool) throws {
        let columns = ViewTable.columns(view).map(Identifier.quoted).joined(separator: ", ")
        let key = (view.joinKeys.map(\.name) + ViewTable.fixedColumns).map(Identifier.quoted).joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(Identifier.quoted(view.tableName)) WHERE 1"
        if from != nil { sql += " AND event_timestamp >= ?1" }
        if to != nil { sql += " AND event_timestamp < ?2" }
        if asOf != nil { sql += " AND \(ViewTable.runColumn) IN (SELECT id FROM runs WHERE committed_at <= ?3)" }
        sql += " ORDER BY \(key)"
        let types = view.joinKeys.map(\.type.featureType) + [.timestamp, .timestamp, .int64] + view.features.map(\.type)
        try db.transaction(.deferred) {
            let statement = try db.statement(sql)
            defer { statement.reset() }
            if let from { statement.bind(from, at: 1) }
            if let to { statement.bind(to, at: 2) }
            if let asOf { statement.bind(asOf, at: 3) }
            var batch = types.map { Column(type: $0, capacity: batchRows) }
            var sent = 0
            while try statement.step() {
                for i in batch.indices { batch[i].append(from: statement, at: Int32(i)) }
                if batch[0].count == batchRows {
                    guard body(batch) else { return }
                    sent += 1
                    batch = types.map { Column(type: $0, capacity: batchRows) }
                }
            }
            if batch[0].count > 0 || sent == 0 { _ = body(batch) }
        }
    }
}
