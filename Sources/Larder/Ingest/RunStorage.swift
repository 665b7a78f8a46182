/// What an ingest run asks of the storage engine below it: one write
/// transaction for the whole run, the run's rows, and the runs already
/// committed. SQLite implements it in `SQLiteEngine/`; another engine
/// implements the same operations.
package protocol RunStorage {
    /// Runs `body` in one write transaction (the store's write lock at once),
    /// with the engine set up for a bulk write; `body` decides whether it
    /// commits. An error rolls it back: nothing of the run is kept.
    func writingRun<R>(_ body: () throws -> TransactionEnd<R>) throws -> R
    /// Runs `body` inside ``writingRun(_:)`` as a nested unit (SQLite: a
    /// `SAVEPOINT`): when `body` throws, what it wrote is undone, the
    /// enclosing transaction goes on, and the error is returned. Several
    /// runs share one transaction this way, each kept or undone alone.
    ///
    /// - Throws: only when the enclosing transaction cannot go on (the
    ///   engine rolled it back, or the savepoint itself failed).
    func savepoint<R>(_ body: () throws -> R) throws -> Result<R, any Error>
    /// Registers a run of `view` inside ``writingRun(_:)`` (invisible until
    /// its commit) and returns where its rows go. A `pipelined` run (one
    /// that any problem refuses, so which rows of a batch were written
    /// matters only if none is found) lets the sink send the next batch
    /// before it learns how the last one went (see ``RunSink/settle(log:file:)``).
    func beginRun(of view: FeatureView, source: String, startedAt: Int64, pipelined: Bool) throws -> any RunSink
    /// The id of a run committed to `view` with content `sha256` that wrote
    /// rows, if any (a run whose every row was rejected wrote nothing).
    func committedRun(of view: FeatureView, withContent sha256: String) throws -> Int64?
    /// The runs of the view named `view` (every version), newest first; the
    /// newest `limit` of them when a limit is given.
    func runs(of view: String, limit: Int?) throws -> [IngestRun]
}

/// The rows of one run being written, inside its write transaction.
package protocol RunSink: AnyObject {
    /// The run's id (issued when it began, so rows can carry it).
    var runID: Int64 { get }
    /// Rows written so far.
    var rowsWritten: Int { get }
    /// Writes the rows of `batch` (in primary-key order) that `log` does
    /// not mark bad; a row that repeats `(key, event_timestamp,
    /// created_timestamp)` within the run is logged as a problem of `file`
    /// and marked bad in `log`. In a pipelined run the batch may still be
    /// on its way when this returns: a row of it that repeats a row of an
    /// earlier batch may then be learned only by a later call, which logs
    /// it to its own `log` with no row marked.
    ///
    /// `ordered` promises that the batch's rows come after the good rows of
    /// every earlier `ordered` batch of the run in primary-key order, and
    /// that every batch not `ordered` came before it (what the run's
    /// ``RunSorter`` hands over): a writer may then find the duplicates
    /// itself and insert many rows a statement.
    func write(_ batch: WriteBatch, ordered: Bool, log: inout ProblemLog, file: String) throws
    /// Waits until every batch written is stored or refused, logging to
    /// `log` (no row marked) the duplicates learned only now; then
    /// ``rowsWritten`` is exact. Comes after the last ``write(_:ordered:log:file:)``
    /// and before ``record(_:)`` and ``finish(contentSHA256:rejected:)``.
    func settle(log: inout ProblemLog, file: String) throws
    /// Stores the statistics of the run's written rows, one per feature in
    /// view order (docs/quality.md), inside the run's transaction.
    func record(_ statistics: [FeatureStatistics]) throws
    /// Records the run's figures and its commit time; the transaction's
    /// commit then makes its rows visible.
    func finish(contentSHA256: String, rejected: Int) throws
}

extension RunSink {
    /// Writes `batch` with no promise about its order (see
    /// ``write(_:ordered:log:file:)``).
    package func write(_ batch: WriteBatch, log: inout ProblemLog, file: String) throws {
        try write(batch, ordered: false, log: &log, file: file)
    }
}
