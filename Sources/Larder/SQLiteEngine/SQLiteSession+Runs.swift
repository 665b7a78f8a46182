extension SQLiteSession: RunStorage {
    /// `BEGIN IMMEDIATE`; the page cache that a large run's writer raises
    /// to ``SQLiteRunWriter/cacheKiB`` is lowered again at the end.
    func writingRun<R>(_ body: () throws -> TransactionEnd<R>) throws -> R {
        defer { try? db.setCacheSize(kibibytes: Connection.defaultCacheKiB) }
        return try db.transaction(.immediate, deciding: body)
    }

    /// `SAVEPOINT run`, then `RELEASE run`, or `ROLLBACK TO run` and
    /// `RELEASE run` when `body` throws. An error that made SQLite roll
    /// back the whole transaction (a full disk, an I/O error) is thrown.
    /// See <https://www.sqlite.org/lang_savepoint.html>.
    func savepoint<R>(_ body: () throws -> R) throws -> Result<R, any Error> {
        try db.statement("SAVEPOINT run").run()
        do {
            let result = try body()
            try db.statement("RELEASE run").run()
            return .success(result)
        } catch {
            guard db.isInTransaction else { throw error }
            try db.statement("ROLLBACK TO run").run()
            try db.statement("RELEASE run").run()
            return .failure(error)
        }
    }

    /// Not pipelined, whatever `pipelined` says: each batch is written
    /// before ``SQLiteRunWriter/write(_:ordered:log:file:)`` returns.
    func beginRun(of view: FeatureView, source: String, startedAt: Int64, pipelined: Bool) throws -> any RunSink {
        try SQLiteRunWriter(db: db, view: view, source: source, startedAt: startedAt)
    }

    func committedRun(of view: FeatureView, withContent sha256: String) throws -> Int64? {
        let s = try db.statement("SELECT id FROM runs WHERE view = ? AND version = ? AND content_sha256 = ? AND committed_at > 0 AND rows > 0 ORDER BY id LIMIT 1")
        s.bind(view.name, at: 1)
        s.bind(Int64(view.version), at: 2)
        s.bind(sha256, at: 3)
        defer { s.reset() }
        return try s.step() ? s.int64(0) : nil
    }

    func runs(of view: String, limit: Int?) throws -> [IngestRun] {
        let s = try db.statement("""
            SELECT id, version, source, content_sha256, rows, rejected, started_at, committed_at
            FROM runs WHERE view = ? ORDER BY id DESC LIMIT ?
            """)
        s.bind(view, at: 1)
        s.bind(Int64(limit ?? -1), at: 2)
        defer { s.reset() }
        var runs: [IngestRun] = []
        while try s.step() {
            runs.append(IngestRun(id: s.int64(0), view: view, version: Int(s.int64(1)), source: s.text(2), contentSHA256: s.text(3),
                                  rows: Int(s.int64(4)), rejected: Int(s.int64(5)), startedAt: Timestamp(microseconds: s.int64(6)),
                                  committedAt: Timestamp(microseconds: s.int64(7))))
        }
        return runs
    }
}
