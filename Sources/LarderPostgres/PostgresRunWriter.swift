import Larder
import NIOCore
import PostgresNIO

/// Writes one ingest run into one view version's table (a ``RunSink``),
/// inside the caller's write transaction (``PostgresSession/writingRun(_:)``):
/// none of its rows is visible before that transaction commits, and a lost
/// connection or a killed process rolls them all back.
///
/// A batch is one binary `COPY … FROM STDIN` (``CopyRows``,
/// ``PostgresConnection/copyBinary(into:columns:data:logger:)``) between
/// `SAVEPOINT larder_batch` and `RELEASE SAVEPOINT larder_batch`: the
/// server's cheapest way in (backend CPU per 1M bench rows 2.8 s against
/// 4.25–6.5 s for `INSERT … SELECT unnest(…)` of binary arrays). A row that
/// repeats `(key, event_timestamp, created_timestamp)` within the run is a
/// duplicate: within the batch it is seen as it is sent (the batch is in
/// key order); one that repeats a row of an earlier batch makes the `COPY`
/// fail on the primary key (SQLSTATE 23505), and then the batch is rolled
/// back to its savepoint, the repeated rows are looked up and reported,
/// and the others copied again. (Not `ON CONFLICT DO NOTHING`, which
/// `COPY` has not, and whose speculative insertion doubled the server's
/// cost of every insert, to spare a retry that duplicates alone need.)
///
/// The sorted rest of a large run (`ordered` batches) has its duplicates
/// found before it is sent (``OrderedDuplicates``), so its batches need no
/// savepoint: a long run
/// then holds a subtransaction only for each of its first batches, far
/// fewer than the 64 a PostgreSQL backend keeps track of before every
/// other session's snapshots must look subtransactions up on disk.
///
/// A batch's three statements run as one task on the connection's event
/// loop (``PostgresLink/run(_:)``: postgres-nio's `COPY` is `async`). A
/// pipelined run (stop mode) encodes a batch, then takes the answer of the
/// batch before, then starts it and returns: the server copies one batch
/// while this thread reads, checks and encodes the next. At most one batch
/// is on its way, none after ``settle(log:file:)``; a batch is started only
/// once the one before has answered, so a failed batch is the only one to
/// undo and a run reports every duplicate, as when it is not pipelined.
/// Any other error ends the run.
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
    /// The view version's table.
    private let table: String
    /// Its columns, in table order (a `COPY` tuple's fields).
    private let columns: [String]
    /// The rows of a batch (`$1…` the keys, event and created times) that
    /// repeat a row of this run already stored, by their 1-based position.
    private let repeatsSQL: String
    /// The batch sent whose answer is not taken yet.
    private var inFlight: SentBatch?
    /// The duplicates of ordered batches, found before they are sent.
    private var duplicates: OrderedDuplicates

    /// A batch sent whose answer is not taken yet.
    private struct SentBatch {
        /// The batch.
        let batch: WriteBatch
        /// The rows of `batch` sent.
        let rows: [Int]
        /// Whether it went inside a savepoint (a batch whose duplicates
        /// were not found beforehand).
        let savepoint: Bool
        /// The end of its `SAVEPOINT`, `COPY` and `RELEASE` (or of its `COPY` alone).
        let done: EventLoopFuture<Void>
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
        table = view.tableName
        columns = ViewTable.columns(view)
        duplicates = OrderedDuplicates(view: view)
        let keyTypes = view.joinKeys.map { ColumnArray.sqlType($0.type.featureType) }
        let arrays = keyTypes + ["bigint[]", "bigint[]"]
        let names = (0..<arrays.count).map { "c\($0)" }
        let keyParameters = arrays.enumerated().map { "$\($0 + 1)::\($1)" }.joined(separator: ", ")
        let tableKeys = view.joinKeys.map { Identifier.quoted($0.name) } + ["event_timestamp", "created_timestamp"]
        let match = zip(tableKeys, names).map { "t.\($0) = u.\($1)" }.joined(separator: " AND ")
        repeatsSQL = "SELECT u.n FROM unnest(\(keyParameters)) WITH ORDINALITY AS u(\(names.joined(separator: ", ")), n)"
            + " WHERE EXISTS (SELECT 1 FROM \(Identifier.quoted(view.tableName)) t WHERE \(match) AND t.\(ViewTable.runColumn) = \(runID))"
            + " ORDER BY u.n"
    }

    /// Writes `batch` as one `COPY`: inside a savepoint, unless it is
    /// `ordered` and its duplicates were found beforehand.
    func write(_ batch: WriteBatch, ordered: Bool, log: inout ProblemLog, file: String) throws {
        refuseUnstorableText(batch, log: &log, file: file)
        let bad = log.badRows
        if ordered { try duplicates.startOrderedBatch(batch) }
        var rows: [Int] = []
        rows.reserveCapacity(batch.count)
        var previous: Int?
        for row in 0..<batch.count where !bad[row] {
            // In key order, a row that repeats the one before it is a duplicate.
            let repeats = ordered ? try duplicates.repeatsEarlierRow(row, of: batch, file: file) : previous.map { batch.compare($0, batch, row) == 0 } ?? false
            if repeats {
                log.add(.duplicate(row, of: batch, in: view, file: file), row: row)
                continue
            }
            if !ordered { duplicates.wroteUnordered(row, of: batch) }
            rows.append(row)
            previous = row
        }
        let data = rows.isEmpty ? nil : CopyRows.encode(batch, rows: rows, runID: runID)
        try settle(log: &log, file: file)
        if let data {
            inFlight = send(batch, rows, data, savepoint: !ordered)
            rowsWritten += rows.count
            for row in rows { newestEventTime = max(newestEventTime ?? batch.eventTimes[row], batch.eventTimes[row]) }
        }
        if !pipelined { try settle(log: &log, file: file) }
    }

    /// Logs every row of `batch` with a `string` key or feature that holds
    /// the character U+0000 (NUL), which PostgreSQL's `text` cannot store
    /// (a `COPY` of it fails with SQLSTATE 22021 and names no line): such a
    /// row is refused like any invalid value, with its line, column and
    /// value. A SQLite store keeps such strings; `bytes` hold any byte on
    /// both engines.
    ///
    /// - Complexity: one scan per string column of the batch
    ///   (``Column/rowsHoldingNUL``).
    private func refuseUnstorableText(_ batch: WriteBatch, log: inout ProblemLog, file: String) {
        let named = Array(zip(view.joinKeys.map(\.name), batch.keys)) + Array(zip(view.features.map(\.name), batch.features))
        for (name, column) in named {
            for row in column.rowsHoldingNUL {
                log.add(ValidationProblem(file: file, line: batch.lines[row], column: name, value: column.string(row),
                                          reason: "PostgreSQL cannot store the character U+0000 (NUL) in text; use a bytes feature for binary data"),
                        row: row)
            }
        }
    }

    /// Takes the answer of the batch in flight, if any. A batch whose `COPY`
    /// failed on the primary key is written again without its duplicates,
    /// logged to `log` (their rows marked only when the run is not
    /// pipelined: then `log` is the batch's).
    ///
    /// - Throws: any other error.
    func settle(log: inout ProblemLog, file: String) throws {
        guard let sent = inFlight else { return }
        inFlight = nil
        do {
            try link.wait(for: sent.done)
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            // Without a savepoint the transaction is lost: a duplicate that was not found beforehand.
            guard sent.savepoint else { throw OrderedDuplicates.brokenOrder(sent.rows[0], of: sent.batch, file: file) }
            try rewrite(sent, log: &log, file: file)
        }
    }

    /// Starts `rows` of `batch`, encoded as `data`: its savepoint (when
    /// `savepoint`), `COPY` and release, one after the other, without
    /// waiting for them.
    private func send(_ batch: WriteBatch, _ rows: [Int], _ data: ByteBuffer, savepoint: Bool = true) -> SentBatch {
        let table = table, columns = columns, address = link.address
        let statements = savepoint ? ["SAVEPOINT larder_batch", nil, "RELEASE SAVEPOINT larder_batch"] : [nil]
        let done = link.run { connection in
            for sql in statements {
                do {
                    if let sql {
                        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresLink.logger)
                    } else {
                        try await connection.copyBinary(into: table, columns: columns, data: data, logger: PostgresLink.logger)
                    }
                } catch {
                    throw PostgresError(error, address: address, sql: sql ?? "COPY \(Identifier.quoted(table)) FROM STDIN (FORMAT binary)")
                }
            }
        }
        return SentBatch(batch: batch, rows: rows, savepoint: savepoint, done: done)
    }

    /// Writes `sent` again after its `COPY` failed on the primary key: rolled
    /// back to (and out of) its savepoint, the rows that repeat a row stored
    /// are logged as duplicates, and the others sent again and waited for.
    private func rewrite(_ sent: SentBatch, log: inout ProblemLog, file: String) throws {
        try link.query("ROLLBACK TO SAVEPOINT larder_batch")
        try link.query("RELEASE SAVEPOINT larder_batch")
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
        if !kept.isEmpty { try link.wait(for: send(sent.batch, kept, CopyRows.encode(sent.batch, rows: kept, runID: runID)).done) }
    }

    /// The keys, event and created times of `rows`, one array each.
    private func keyBindings(_ batch: WriteBatch, _ rows: [Int]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: batch.keys.count + 2)
        for key in batch.keys { binds.append(ColumnArray(key, rows: rows)) }
        binds.append(ColumnArray(times: batch.eventTimes, rows: rows))
        binds.append(ColumnArray(times: batch.createdTimes, rows: rows))
        return binds
    }

    /// One row per feature in `run_statistics`.
    func record(_ statistics: [FeatureStatistics]) throws {
        precondition(inFlight == nil, "a run's statistics recorded before its batches settled")
        for (position, feature) in statistics.enumerated() {
            var binds = PostgresBindings(runID, Int64(position), feature.name, feature.type.description)
            binds.append(ByteBuffer(bytes: feature.serialized()))
            try link.query("INSERT INTO run_statistics (run_id, position, feature, type, sketch) VALUES ($1, $2, $3, $4, $5)", binds)
        }
    }

    func finish(contentSHA256: String, rejected: Int) throws {
        precondition(inFlight == nil, "a run finished before its batches settled")
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
