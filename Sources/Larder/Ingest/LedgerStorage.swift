/// What the backfill ledger asks of the storage engine: the entries of a
/// view version, and one entry written — inside the run's own write
/// transaction (``RunStorage/writingRun(_:)``) when it is committed, so
/// the ledger and the runs can never disagree. SQLite implements it in
/// `SQLiteEngine/`; another engine implements the same operations.
package protocol LedgerStorage {
    /// The entries of `view` at `version`, by interval start.
    func ledger(of view: String, version: Int) throws -> [LedgerEntry]
    /// The entry of `view` at `version` for the interval starting at `start`, if any.
    func ledgerEntry(of view: String, version: Int, startingAt start: Timestamp) throws -> LedgerEntry?
    /// Writes `entry`, replacing the one of the same view version and
    /// interval start; the caller holds a write transaction.
    func record(_ entry: LedgerEntry) throws
}
