/// The cache's reads in SQL on one of the store's connections.
extension SQLiteSession: CacheSource {
    func reading<R>(_ body: () throws -> R) throws -> R {
        db.isInTransaction ? try body() : try db.transaction(.deferred, body)
    }

    func lastRunID() throws -> Int64 {
        try db.queryInt("SELECT COALESCE(MAX(id), 0) FROM runs")
    }

    func runs(after run: Int64) throws -> [CommittedRun] {
        let query = try db.statement("SELECT id, committed_at, view, version FROM runs WHERE id > ?1 ORDER BY id")
        defer { query.reset() }
        query.bind(run, at: 1)
        var runs: [CommittedRun] = []
        while try query.step() {
            runs.append(CommittedRun(id: query.int64(0), committedAt: query.int64(1), view: query.text(2), version: Int(query.int64(3))))
        }
        return runs
    }

    func viewVersions() throws -> [Int64: Int64] {
        let versions = try db.statement("SELECT id, created_at FROM view_versions")
        defer { versions.reset() }
        var live: [Int64: Int64] = [:]
        while try versions.step() { live[versions.int64(0)] = versions.int64(1) }
        return live
    }

    func hasRuns(of view: FeatureView, after: Int64, upTo: Int64) throws -> Bool {
        let newer = try db.statement("SELECT 1 FROM runs WHERE view = ?1 AND version = ?2 AND id > ?3 AND id <= ?4 LIMIT 1")
        defer { newer.reset() }
        newer.bind(view.name, at: 1)
        newer.bind(Int64(view.version), at: 2)
        newer.bind(after, at: 3)
        newer.bind(upTo, at: 4)
        return try newer.step()
    }

    func rowsWritten(upTo view: FeatureView, after run: Int64) throws -> Int {
        let sum = try db.statement("SELECT coalesce(sum(rows), 0) FROM runs WHERE view = ?1 AND version <= ?2 AND id > ?3 AND committed_at > 0")
        defer { sum.reset() }
        sum.bind(view.name, at: 1)
        sum.bind(Int64(view.version), at: 2)
        sum.bind(run, at: 3)
        _ = try sum.step()
        return Int(sum.int64(0))
    }

    /// One scan of the view's table in primary-key order (so no sort is
    /// needed), straight into the builder's typed buffers.
    ///
    /// - Complexity: O(n) in the rows of the table.
    func scan(_ view: FeatureView, after: Int64?, upTo: Int64, into builder: inout SnapshotBuilder, byteLimit: Int) throws -> Bool {
        let keys = view.joinKeys.map { Identifier.quoted($0.name) }
        let columns = keys + ["event_timestamp", "created_timestamp", ViewTable.runColumn] + view.features.map { Identifier.quoted($0.name) }
        var filter = " WHERE \(ViewTable.runColumn) <= ?2"
        if after != nil { filter += " AND \(ViewTable.runColumn) > ?1" }
        let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(Identifier.quoted(view.tableName))\(filter)"
            + " ORDER BY \((keys + ["event_timestamp", "created_timestamp", ViewTable.runColumn]).joined(separator: ", "))"
        let statement = try db.statement(sql)
        defer { statement.reset() }
        if let after { statement.bind(after, at: 1) }
        statement.bind(upTo, at: 2)
        while try statement.step() {
            builder.appendRow(from: statement)
            if builder.rowCount & 4095 == 0, builder.byteCount > byteLimit || builder.rowCount > ViewSnapshot.maxRows { return false }
        }
        return true
    }
}
