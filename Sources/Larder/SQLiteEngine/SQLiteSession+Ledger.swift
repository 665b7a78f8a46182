extension SQLiteSession: LedgerStorage {
    func ledger(of view: String, version: Int) throws -> [LedgerEntry] {
        try entries(of: view, version: version, startingAt: nil)
    }

    func ledgerEntry(of view: String, version: Int, startingAt start: Timestamp) throws -> LedgerEntry? {
        try entries(of: view, version: version, startingAt: start).first
    }

    /// The entries of `view` at `version` by start: all, or the one starting at `start`.
    private func entries(of view: String, version: Int, startingAt start: Timestamp?) throws -> [LedgerEntry] {
        let s = try db.statement("""
            SELECT start_us, end_us, status, run_id, command, content_sha256, fingerprint, message, recorded_at
            FROM backfill_ledger WHERE view = ?1 AND version = ?2 AND (?3 IS NULL OR start_us = ?3) ORDER BY start_us
            """)
        s.bind(view, at: 1)
        s.bind(Int64(version), at: 2)
        if let start { s.bind(start.microseconds, at: 3) } else { s.bindNull(at: 3) }
        defer { s.reset() }
        var entries: [LedgerEntry] = []
        while try s.step() {
            entries.append(LedgerEntry(
                view: view, version: version,
                interval: BackfillInterval(start: Timestamp(microseconds: s.int64(0)), end: Timestamp(microseconds: s.int64(1))),
                status: LedgerEntry.Status(rawValue: s.text(2)) ?? .failed, runID: s.isNull(3) ? nil : s.int64(3),
                command: s.text(4), contentSHA256: s.text(5), fingerprint: s.text(6), message: s.text(7),
                recordedAt: Timestamp(microseconds: s.int64(8))))
        }
        return entries
    }

    func record(_ entry: LedgerEntry) throws {
        let s = try db.statement("""
            INSERT OR REPLACE INTO backfill_ledger
                (view, version, start_us, end_us, status, run_id, command, content_sha256, fingerprint, message, recorded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        defer { s.reset() }
        s.bind(entry.view, at: 1)
        s.bind(Int64(entry.version), at: 2)
        s.bind(entry.interval.start.microseconds, at: 3)
        s.bind(entry.interval.end.microseconds, at: 4)
        s.bind(entry.status.rawValue, at: 5)
        if let run = entry.runID { s.bind(run, at: 6) } else { s.bindNull(at: 6) }
        s.bind(entry.command, at: 7)
        s.bind(entry.contentSHA256, at: 8)
        s.bind(entry.fingerprint, at: 9)
        s.bind(entry.message, at: 10)
        s.bind(entry.recordedAt.microseconds, at: 11)
        try s.run()
    }
}
