import Larder
import PostgresNIO

extension PostgresSession: RunStorage {
    /// One write transaction under the store's write lock (see ``PostgresLink/writing(_:)``).
    func writingRun<R>(_ body: () throws -> TransactionEnd<R>) throws -> R {
        try link.writing(body)
    }

    /// `SAVEPOINT larder_run`, then `RELEASE SAVEPOINT larder_run`, or
    /// `ROLLBACK TO SAVEPOINT larder_run` and `RELEASE SAVEPOINT larder_run`
    /// when `body` throws: after an error PostgreSQL refuses every statement
    /// of the transaction until it is rolled back to a savepoint, so the
    /// rollback comes first. When it fails (the connection is lost), the
    /// transaction cannot go on and `body`'s error is thrown.
    /// See <https://www.postgresql.org/docs/15/sql-savepoint.html>.
    func savepoint<R>(_ body: () throws -> R) throws -> Result<R, any Error> {
        try link.query("SAVEPOINT larder_run")
        do {
            let result = try body()
            try link.query("RELEASE SAVEPOINT larder_run")
            return .success(result)
        } catch {
            guard (try? link.query("ROLLBACK TO SAVEPOINT larder_run")) != nil else { throw error }
            try link.query("RELEASE SAVEPOINT larder_run")
            return .failure(error)
        }
    }

    func beginRun(of view: FeatureView, source: String, startedAt: Int64, pipelined: Bool) throws -> any RunSink {
        try PostgresRunWriter(link: link, view: view, source: source, startedAt: startedAt, pipelined: pipelined)
    }

    func committedRun(of view: FeatureView, withContent sha256: String) throws -> Int64? {
        let rows = try link.query("""
            SELECT id FROM runs WHERE view = $1 AND version = $2 AND content_sha256 = $3 AND committed_at > 0 AND rows > 0
            ORDER BY id LIMIT 1
            """, PostgresBindings(view.name, Int64(view.version), sha256)).rows
        return rows.first.map { PostgresCursor($0).int64(0) }
    }

    func runs(of view: String, limit: Int?) throws -> [IngestRun] {
        var binds = PostgresBindings(view)
        binds.append(limit.map(Int64.init))
        return try link.query("""
            SELECT id, version, source, content_sha256, rows, rejected, started_at, committed_at
            FROM runs WHERE view = $1 ORDER BY id DESC LIMIT $2
            """, binds).rows.map { r in
            let c = PostgresCursor(r)
            return IngestRun(id: c.int64(0), view: view, version: Int(c.int64(1)), source: c.text(2), contentSHA256: c.text(3),
                             rows: Int(c.int64(4)), rejected: Int(c.int64(5)), startedAt: Timestamp(microseconds: c.int64(6)),
                             committedAt: Timestamp(microseconds: c.int64(7)))
        }
    }
}
