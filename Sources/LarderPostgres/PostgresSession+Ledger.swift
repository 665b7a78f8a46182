import Larder
import PostgresNIO

extension PostgresSession: LedgerStorage {
    func ledger(of view: String, version: Int) throws -> [LedgerEntry] {
        try entries(of: view, version: version, startingAt: nil)
    }

    func ledgerEntry(of view: String, version: Int, startingAt start: Timestamp) throws -> LedgerEntry? {
        try entries(of: view, version: version, startingAt: start).first
    }

    /// The entries of `view` at `version` by start: all, or the one starting at `start`.
    private func entries(of view: String, version: Int, startingAt start: Timestamp?) throws -> [LedgerEntry] {
        var binds = PostgresBindings(view, Int64(version))
        binds.append(start?.microseconds)
        return try link.query("""
            SELECT start_us, end_us, status, run_id, command, content_sha256, fingerprint, message, recorded_at
            FROM backfill_ledger WHERE view = $1 AND version = $2 AND ($3::bigint IS NULL OR start_us = $3) ORDER BY start_us
            """, binds).rows.map { r in
            let c = PostgresCursor(r)
            return LedgerEntry(
                view: view, version: version,
                interval: BackfillInterval(start: Timestamp(microseconds: c.int64(0)), end: Timestamp(microseconds: c.int64(1))),
                status: LedgerEntry.Status(rawValue: c.text(2)) ?? .failed, runID: c.isNull(3) ? nil : c.int64(3),
                command: c.text(4), contentSHA256: c.text(5), fingerprint: c.text(6), message: c.text(7),
                recordedAt: Timestamp(microseconds: c.int64(8)))
        }
    }

    func record(_ entry: LedgerEntry) throws {
        var binds = PostgresBindings(entry.view, Int64(entry.version), entry.interval.start.microseconds, entry.interval.end.microseconds,
                                     entry.status.rawValue)
        binds.append(entry.runID)
        binds.append(entry.command)
        binds.append(entry.contentSHA256)
        binds.append(entry.fingerprint)
        binds.append(entry.message)
        binds.append(entry.recordedAt.microseconds)
        try link.query("""
            INSERT INTO backfill_ledger
                (view, version, start_us, end_us, status, run_id, command, content_sha256, fingerprint, message, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            ON CONFLICT (view, version, start_us) DO UPDATE SET
                end_us = excluded.end_us, status = excluded.status, run_id = excluded.run_id, command = excluded.command,
                content_sha256 = excluded.content_sha256, fingerprint = excluded.fingerprint, message = excluded.message,
                recorded_at = excluded.recorded_at
            """, binds)
    }
}
