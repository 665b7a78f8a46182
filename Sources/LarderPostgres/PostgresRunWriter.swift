import Larder
import NIOCore
import PostgresNIO

/// Writes one ingest run into one view version's table (a ``RunSink``),
/// inside the caller's write transaction (``PostgresSession/writingRun(_:)``):
/// none of its rows is visible before that transaction commits, and a lost
/// connection or a killed process rolls them all back.
///
/// A batch is one statement, `INSERT … SELECT unnest($1::bigint[]), …`,
/// each column one array parameter (``ColumnArray``), between `SAVEPOINT
/// larder_batch` and `RELEASE SAVEPOINT larder_batch`. A row that repeats
/// `(key, event_timestamp, created_timestamp)` within the run is a
/// duplicate: within the batch it is seen as it is sent (the batch is in
/// key order); one that repeats a row of an earlier batch makes the insert
/// fail on the primary key (SQLSTATE 23505), and then the batch is rolled
/// back to its savepoint, the repeated rows are looked up and reported,
/// and the others are inserted again. (Not `ON CONFLICT DO NOTHING`: its
/// speculative insertion doubles the server's cost of every row, 3.6 s
/// against 7.3 s for 1M rows here, to spare a retry that duplicates alone need.)
///
/// A pipelined run (stop mode) sends a batch's three statements before it
/// takes the answers of the batch before (``PostgresLink/send(_:_:)``:
/// postgres-nio's event loop sends each as soon as the one before has
/// answered), so the server inserts that batch while this thread builds
/// and encodes the next: at most two batches are
/// on their way, one once ``write(_:log:file:)`` returns, none after
/// ``settle(log:file:)``. When an insert fails, the statements sent after
/// it fail too (the transaction is aborted, SQLSTATE 25P02): their errors
/// are passed over, the transaction is rolled back to the failed batch's
/// savepoint, that batch is written again without its duplicates, and the
/// later ones are sent again, so a run reports every duplicate, as when it
/// is not pipelined, and the first error, never an aborted statement's.
/// Any other error ends the run once every statement in flight has answered.
final class PostgresRunWriter: RunSink {
    let link: PostgresLink
    let view: FeatureView
    let runID: Int64
    /// Whether batches are pipelined (``RunStorage/beginRun(of:source:startedAt:pipelined:)``).
    let pipelined: Bool
    /// Rows sent so far, less the duplicates learned: exact once nothing is in flight.
    private(set) var rowsWritten = 0
    /// The newest event time among the rows sent so far (a duplicate, held
    /// back later, has the event time of the row it repeats, so it never
    /// changes this).
    private(set) var newestEventTime: Int64?
    /// The batch's insert, with `$1…` one array per table column but the run's.
    private let insertSQL: String
    /// The rows of a batch (`$1…` the keys, event and created times) that
    /// repeat a row of this run already stored, by their 1-based position.
    private let repeatsSQL: String
    /// The batches sent whose answers are not taken yet, oldest first.
    private var inFlight: [SentBatch] = []

    /// A batch sent whose answers are not taken yet.
    private struct SentBatch {
        /// The batch.
        let batch: WriteBatch
        /// The rows of `batch` sent.
        let rows: [Int]
        /// The answers of its `SAVEPOINT`, insert and `RELEASE`, in the order sent.
        let answers: [(future: EventLoopFuture<PostgresQueryResult>, sql: String)]
    }

    /// Registers the run (uncommitted until the caller's transaction commits).
    init(link: PostgresLink, view: FeatureView, source: String, startedAt: Int64, pipelined: Bool) throws {
        self.link = link
        self.view = view
        self.pipelined = pipelined
        runID = try link.queryInt("""
            INSERT INTO runs (view, version, source, content_sha256, rows, rejected, started_at, committed_at)
            VALUES ($1, $2, $3, '', 0, 0, $4, 0) RETURNING id
            """, PostgresBindings(view.name, Int64(view.version), source, startedAt))
        let keyTypes = view.joinKeys.map { ColumnArray.sqlType($0.type.featureType) }
        let arrays = keyTypes + ["bigint[]", "bigint[]"] + view.features.map { ColumnArray.sqlType($0.type) }
        let names = (0..<arrays.count).map { "c\($0)" }
        let keyCount = view.joinKeys.count
        // One `unnest` per column in the select list (the arrays have one
        // length, so they are walked in step): streamed row by row, where
        // `FROM unnest(a, b, …)` first copies every row into a tuplestore
        // (about a third of the server's time per row, measured).
        let unnested = arrays.enumerated().map { "unnest($\($0 + 1)::\($1))" }
        let selected = Array(unnested[0..<(keyCount + 2)]) + [String(runID)] + Array(unnested[(keyCount + 2)...])
        let columns = ViewTable.columns(view).map(Identifier.quoted).joined(separator: ", ")
        insertSQL = "INSERT INTO \(Identifier.quoted(view.tableName)) (\(columns)) SELECT \(selected.joined(separator: ", "))"
        let keyParameters = Array(arrays[0..<(keyCount + 2)]).enumerated().map { "$\($0 + 1)::\($1)" }.joined(separator: ", ")
        let keyNames = Array(names[0..<(keyCount + 2)])
        let tableKeys = view.joinKeys.map { Identifier.quoted($0.name) } + ["event_timestamp", "created_timestamp"]
        let match = zip(tableKeys, keyNames).map { "t.\($0) = u.\($1)" }.joined(separator: " AND ")
        repeatsSQL = "SELECT u.n FROM unnest(\(keyParameters)) WITH ORDINALITY AS u(\(keyNames.joined(separator: ", ")), n)"
            + " WHERE EXISTS (SELECT 1 FROM \(Identifier.quoted(view.tableName)) t WHERE \(match) AND t.\(ViewTable.runColumn) = \(runID))"
            + " ORDER BY u.n"
    }

    func write(_ batch: WriteBatch, log: inout ProblemLog, file: String) throws {
        let bad = log.badRows
        var rows: [Int] = []
        rows.reserveCapacity(batch.count)
        var previous: Int?
        for row in 0..<batch.count where !bad[row] {
            // In key order, a row that repeats the one before it is a duplicate.
            if let previous, sameKey(batch, previous, row) {
                log.add(.duplicate(row, of: batch, in: view, file: file), row: row)
                continue
            }
            rows.append(row)
            previous = row
        }
        if !rows.isEmpty {
            inFlight.append(send(batch, rows))
            rowsWritten += rows.count
            for row in rows { newestEventTime = max(newestEventTime ?? batch.eventTimes[row], batch.eventTimes[row]) }
        }
        try settle(leaving: pipelined ? 1 : 0, log: &log, file: file)
    }

    func settle(log: inout ProblemLog, file: String) throws {
        try settle(leaving: 0, log: &log, file: file)
    }

    /// Sends the statements of `rows` of `batch` (savepoint, insert,
    /// release) without waiting for their answers.
    private func send(_ batch: WriteBatch, _ rows: [Int]) -> SentBatch {
        let savepoint = "SAVEPOINT larder_batch", release = "RELEASE SAVEPOINT larder_batch"
        return SentBatch(batch: batch, rows: rows, answers: [(link.send(savepoint), savepoint),
                                                            (link.send(insertSQL, bindings(batch, rows)), insertSQL),
                                                            (link.send(release), release)])
    }

    /// Takes the answers of the batches in flight, oldest first, until
    /// `leaving` are left. A batch whose insert failed on the primary key
    /// is written again without its duplicates, logged to `log` (their rows
    /// marked only when the run is not pipelined: then `log` is the
    /// batch's), and the batches sent after it, refused with it, are sent again.
    ///
    /// - Throws: the first other error, once every statement in flight has answered.
    private func settle(leaving: Int, log: inout ProblemLog, file: String) throws {
        while inFlight.count > leaving {
            let sent = inFlight.removeFirst()
            do {
                for answer in sent.answers { _ = try link.answer(to: answer.future, sql: answer.sql) }
            } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
                let refused = inFlight
                inFlight = []
                awaitAll([sent] + refused)
                try link.query("ROLLBACK TO SAVEPOINT larder_batch")
                try rewrite(sent, log: &log, file: file)
                inFlight = refused.map { send($0.batch, $0.rows) }
            } catch {
                awaitAll([sent] + inFlight)
                inFlight = []
                throw error
            }
        }
    }

    /// Waits for every answer of `batches`, passing over their errors (the
    /// statements sent after a failed one fail because it did).
    private func awaitAll(_ batches: [SentBatch]) {
        for batch in batches {
            for answer in batch.answers { _ = try? PostgresLink.answer(of: answer.future) }
        }
    }

    /// Writes `sent` again, rolled back to its savepoint after its insert
    /// failed on the primary key: the rows that repeat a row stored are
    /// logged as duplicates, the others inserted, and the savepoint released.
    private func rewrite(_ sent: SentBatch, log: inout ProblemLog, file: String) throws {
        let repeats = Set(try link.query(repeatsSQL, keyBindings(sent.batch, sent.rows)).rows.map { Int(PostgresCursor($0).int64(0)) - 1 })
        var kept: [Int] = []
        for (position, row) in sent.rows.enumerated() {
            if repeats.contains(position) {
                log.add(.duplicate(row, of: sent.batch, in: view, file: file), row: pipelined ? nil : row)
            } else {
                kept.append(row)
            }
        }
        rowsWritten -= sent.rows.count - kept.count
        if !kept.isEmpty { try link.query(insertSQL, bindings(sent.batch, kept)) }
        try link.query("RELEASE SAVEPOINT larder_batch")
    }

    /// The insert's parameters for `rows` of `batch`: the keys, event and
    /// created times, then the features, one array each.
    private func bindings(_ batch: WriteBatch, _ rows: [Int]) -> PostgresBindings {
        var binds = keyBindings(batch, rows)
        for feature in batch.features { binds.append(ColumnArray(feature, rows: rows)) }
        return binds
    }

    /// The keys, event and created times of `rows`, one array each.
    private func keyBindings(_ batch: WriteBatch, _ rows: [Int]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: batch.keys.count + 2 + batch.features.count)
        for key in batch.keys { binds.append(ColumnArray(key, rows: rows)) }
        binds.append(ColumnArray(times: batch.eventTimes, rows: rows))
        binds.append(ColumnArray(times: batch.createdTimes, rows: rows))
        return binds
    }

    /// Whether rows `a` and `b` of `batch` have the same key, event and created time.
    private func sameKey(_ batch: WriteBatch, _ a: Int, _ b: Int) -> Bool {
        guard batch.eventTimes[a] == batch.eventTimes[b], batch.createdTimes[a] == batch.createdTimes[b] else { return false }
        for key in batch.keys {
            if key.type == .int64 {
                if key.ints[a] != key.ints[b] { return false }
            } else if key.byteSlice(a) != key.byteSlice(b) {
                return false
            }
        }
        return true
    }

    /// One row per feature in `run_statistics`.
    func record(_ statistics: [FeatureStatistics]) throws {
        precondition(inFlight.isEmpty, "a run's statistics recorded before its batches settled")
        for (position, feature) in statistics.enumerated() {
            var binds = PostgresBindings(runID, Int64(position), feature.name, feature.type.description)
            binds.append(ByteBuffer(bytes: feature.serialized()))
            try link.query("INSERT INTO run_statistics (run_id, position, feature, type, sketch) VALUES ($1, $2, $3, $4, $5)", binds)
        }
    }

    func finish(contentSHA256: String, rejected: Int) throws {
        precondition(inFlight.isEmpty, "a run finished before its batches settled")
        try link.query("UPDATE runs SET content_sha256 = $1, rows = $2, rejected = $3, committed_at = $4 WHERE id = $5",
                       PostgresBindings(contentSHA256, Int64(rowsWritten), Int64(rejected), Timestamp.nowMicroseconds(), runID))
        if let newestEventTime { try keep(newestEventTime) }
    }

    /// Raises the newest event time kept for the view version (migration
    /// pg0002) to `newest`; a version created before that migration gets it
    /// from one scan of its table, once.
    private func keep(_ newest: Int64) throws {
        let raised = try link.query("""
            UPDATE view_versions SET newest_event_at = GREATEST(COALESCE(newest_event_at, $1), $1)
            WHERE view = $2 AND version = $3 AND events_known
            """, PostgresBindings(newest, view.name, Int64(view.version))).metadata.rows ?? 0
        if raised == 0 { try PostgresSession.keepNewestEventTime(link, of: view) }
    }
}
