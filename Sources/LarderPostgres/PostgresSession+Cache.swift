import Larder
import PostgresNIO

/// The cache's reads in SQL on one of the store's connections.
extension PostgresSession: CacheSource {
    func reading<R>(_ body: () throws -> R) throws -> R { try link.reading(body) }

    func lastRunID() throws -> Int64 {
        try link.queryInt("SELECT COALESCE(MAX(id), 0) FROM runs")
    }

    func runs(after run: Int64) throws -> [CommittedRun] {
        try link.query("SELECT id, committed_at, view, version FROM runs WHERE id > $1 ORDER BY id",
                       PostgresBindings(run)).rows.map { r in
            let c = PostgresCursor(r)
            return CommittedRun(id: c.int64(0), committedAt: c.int64(1), view: c.text(2), version: Int(c.int64(3)))
        }
    }

    func viewVersions() throws -> [Int64: Int64] {
        var live: [Int64: Int64] = [:]
        for r in try link.query("SELECT id, created_at FROM view_versions").rows {
            let c = PostgresCursor(r)
            live[c.int64(0)] = c.int64(1)
        }
        return live
    }

    func hasRuns(of view: FeatureView, after: Int64, upTo: Int64) throws -> Bool {
        try !link.query("SELECT 1 FROM runs WHERE view = $1 AND version = $2 AND id > $3 AND id <= $4 LIMIT 1",
                        PostgresBindings(view.name, Int64(view.version), after, upTo)).rows.isEmpty
    }

    /// One scan of the view's table in primary-key order (its index: no
    /// sort), through a cursor, straight into the builder's typed buffers.
    ///
    /// - Complexity: O(n) in the rows of the table.
    func scan(_ view: FeatureView, after: Int64?, upTo: Int64, into builder: inout SnapshotBuilder, byteLimit: Int) throws -> Bool {
        let keys = view.joinKeys.map { Identifier.quoted($0.name) } + ViewTable.fixedColumns
        let columns = ViewTable.columns(view).map(Identifier.quoted)
        var filter = " WHERE \(ViewTable.runColumn) <= \(upTo)"
        if let after { filter += " AND \(ViewTable.runColumn) > \(after)" }
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(Identifier.quoted(view.tableName))\(filter) ORDER BY \(keys.joined(separator: ", "))"
        var complete = true
        try link.reading {
            try link.scan(sql, batchRows: PostgresSession.scanRows) { batch in
                for row in batch.rows {
                    builder.appendRow(from: PostgresCursor(row))
                    if builder.rowCount & 4095 == 0, builder.byteCount > byteLimit || builder.rowCount > ViewSnapshot.maxRows {
                        complete = false
                        return false
                    }
                }
                return true
            }
        }
        return complete
    }

    /// Rows fetched from a cursor at a time.
    static let scanRows = 65_536
}
