import Larder
import NIOCore
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

    func rowsWritten(upTo view: FeatureView, after run: Int64) throws -> Int {
        Int(try link.queryInt("SELECT coalesce(sum(rows), 0)::bigint FROM runs WHERE view = $1 AND version <= $2 AND id > $3 AND committed_at > 0",
                              PostgresBindings(view.name, Int64(view.version), run)))
    }

    /// One scan of the view's table in primary-key order (its index: no
    /// sort), page by page: each page is one row of arrays (``ColumnPage``),
    /// the next page (keyset: the rows after the page's last key) asked for
    /// before this one is read into the builder, so the server makes it
    /// while this thread decodes. Every row is checked to come after the one
    /// before it in key order (the order `array_agg` keeps from its sorted
    /// subquery), so a page out of order fails the load rather than the
    /// answers.
    ///
    /// - Complexity: O(n) in the rows of the table.
    func scan(_ view: FeatureView, after: Int64?, upTo: Int64, into builder: inout SnapshotBuilder, byteLimit: Int) throws -> Bool {
        let keys = view.joinKeys.map { Identifier.quoted($0.name) } + ViewTable.fixedColumns.map(Identifier.quoted)
        let textKeys = view.joinKeys.map { $0.type == .string } + ViewTable.fixedColumns.map { _ in false }
        let columns = ViewTable.columns(view).map(Identifier.quoted)
        var filter = "\(ViewTable.runColumn) <= \(upTo)"
        if let after { filter += " AND \(ViewTable.runColumn) > \(after)" }
        let casts = textKeys.enumerated().map { "$\($0 + 1)::\($1 ? "text" : "bigint")" }
        func page(after last: Bool) -> String {
            let from = last ? " AND (\(keys.joined(separator: ", "))) > (\(casts.joined(separator: ", ")))" : ""
            return "SELECT \(columns.map { "array_agg(\($0))" }.joined(separator: ", ")) FROM (SELECT \(columns.joined(separator: ", "))"
                + " FROM \(Identifier.quoted(view.tableName)) WHERE \(filter)\(from) ORDER BY \(keys.joined(separator: ", "))"
                + " LIMIT \(PostgresSession.scanRows)) AS page"
        }
        let first = page(after: false), next = page(after: true)
        var complete = true
        try link.reading {
            // Walk the primary key's index whatever the planner's statistics
            // say: right after a backfill, before autovacuum's ANALYZE, it
            // would sort a (parallel) scan of the whole table for every page.
            for setting in PostgresSession.indexWalk { try link.query("SET LOCAL \(setting) = off") }
            defer { for setting in PostgresSession.indexWalk { _ = try? link.query("RESET \(setting)") } }
            var sent = (future: link.send(first), sql: first)
            var pending: EventLoopFuture<PostgresQueryResult>? = sent.future
            defer { if let pending { _ = try? link.wait(for: pending) } }
            var previous: (page: ColumnPage, row: Int)?
            while true {
                let answer = try link.answer(to: sent.future, sql: sent.sql)
                pending = nil
                guard let row = answer.rows.first else { return }
                let page = try ColumnPage(row, address: link.address)
                guard page.rowCount > 0 else { return }
                let full = page.rowCount == PostgresSession.scanRows
                if full {
                    sent = (link.send(next, lastKey(of: page, textKeys: textKeys)), next)
                    pending = sent.future
                }
                for r in 0..<page.rowCount {
                    let cursor = page.cursor(at: r)
                    let before = previous.map { $0.page.cursor(at: $0.row) }
                    if let before, !ColumnPage.precedes(before, cursor, textKeys: textKeys) {
                        throw PostgresError(message: "the rows of \(view.tableName) came out of key order", address: link.address)
                    }
                    builder.appendRow(from: cursor)
                    previous = (page, r)
                    if builder.rowCount & 4095 == 0, builder.byteCount > byteLimit || builder.rowCount > ViewSnapshot.maxRows {
                        complete = false
                        return
                    }
                }
                guard full else { return }
            }
        }
        return complete
    }

    /// The key columns of `page`'s last row, as the next page's parameters.
    private func lastKey(of page: ColumnPage, textKeys: [Bool]) -> PostgresBindings {
        let last = page.cursor(at: page.rowCount - 1)
        var binds = PostgresBindings(capacity: textKeys.count)
        for (c, text) in textKeys.enumerated() {
            if text {
                binds.append(last.withBytes(Int32(c)) { String(decoding: $0, as: UTF8.self) })
            } else {
                binds.append(last.int64(Int32(c)))
            }
        }
        return binds
    }

    /// The planner settings turned off while a cache load pages through a
    /// view's table, so that each page is a walk of the primary key's index.
    static let indexWalk = ["enable_seqscan", "enable_sort", "enable_bitmapscan"]

    /// Rows of a page (a cache load) or a cursor's fetch (exports).
    static let scanRows = 65_536
}
