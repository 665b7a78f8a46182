import class Foundation.Thread
import class Dispatch.DispatchSemaphore

/// The one way rows get into a store: every writer — `larder backfill`, a
/// library write, and the clients to come — runs its ``IngestSource``
/// through this pipeline, so every run is typed, validated, hashed and
/// written the same way:
///
/// source (read, type) → validator → sort into primary-key order → writer
///
/// Reading, typing, validating and sorting run on a second thread while the
/// calling thread inserts the previous batch, inside the run's single write
/// transaction, which commits at the end or rolls everything back.
/// `skipIfUnchanged` is decided before any row is written when the content
/// hash can be known first (a file, a frame), and at the end otherwise
/// (standard input).
struct IngestPipeline<Source: IngestSource> {
    let view: FeatureView
    let source: Source
    let options: IngestOptions
    let progress: (@Sendable (IngestProgress) -> Void)?

    /// One validated batch on its way from the reader thread to the writer.
    struct Stage: Sendable {
        /// The rows, in primary-key order.
        var batch: WriteBatch
        /// Which rows (of `batch`) are bad; the writer skips them.
        var log: ProblemLog
        /// Records that could not be split into fields.
        var badRecords: [BadRecord]
        /// The raw text of each row of `batch` (skip mode only, for the reject file).
        var raw: [ArraySlice<UInt8>]
        /// Progress after this batch.
        var progress: IngestProgress
    }

    /// What the reader thread hands over: a batch, the end with the content
    /// hash, or an error.
    enum Handoff: Sendable {
        case stage(Stage)
        case end(sha256: String)
        case failure(LarderError)
    }

    /// Runs the pipeline on `db` as one run; the reject file (skip mode)
    /// goes through `outputs`, which the caller commits once the run has.
    func run(db: Connection, outputs: OutputFiles) throws -> IngestResult {
        let clock = Stopwatch()
        let started = Timestamp.nowMicroseconds()
        func skipped(_ sha: String) -> IngestResult {
            IngestResult(runID: nil, view: view.name, version: view.version, rowsWritten: 0, rowsRejected: 0,
                         contentSHA256: sha, skippedUnchanged: true, seconds: clock.seconds)
        }
        let knownHash = options.skipIfUnchanged ? try source.hashBeforeReading() : nil
        if let knownHash, try RunWriter.committedRun(of: view, withContent: knownHash, db: db) != nil { return skipped(knownHash) }
        let keepRaw = options.onError == .skip
        let rejects = try options.rejectFile.map { destination throws(LarderError) in RejectFile(sink: try outputs.sink(for: destination)) }
        if keepRaw, rejects == nil { throw LarderError.invalidInput("--on-error skip needs --reject-file FILE for the rejected lines") }

        let queue = HandoffQueue<Handoff>(capacity: 2)
        let producer = self
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            producer.produce(into: queue, started: started, clock: clock)
            finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        defer {
            queue.close() // unblocks the reader thread if the writer stops early
            finished.wait() // and waits until it has removed its scratch files
        }

        try db.setCacheSize(kibibytes: RunWriter.cacheKiB)
        defer { try? db.setCacheSize(kibibytes: Connection.defaultCacheKiB) }
        return try db.transaction(.immediate) { () throws -> Connection.TransactionEnd<IngestResult> in
            // Decided inside the write lock: no other writer can commit the same content meanwhile.
            if let knownHash, try RunWriter.committedRun(of: view, withContent: knownHash, db: db) != nil { return .rollback(skipped(knownHash)) }
            let writer = try RunWriter(db: db, view: view, source: source.label, startedAt: started)
            var log = ProblemLog()
            var rejected = 0
            var rowsSeen = 0
            var sha = ""
            loop: while true {
                switch queue.take() {
                case .none:
                    break loop
                case .failure(let error):
                    throw error
                case .end(let hash):
                    sha = hash
                    break loop
                case .stage(var stage):
                    rowsSeen += stage.batch.count + stage.badRecords.count
                    try writer.write(stage.batch, log: &stage.log, file: source.label)
                    log.merge(stage.log)
                    for bad in stage.badRecords { log.add(bad.problem, row: nil) }
                    if keepRaw, let rejects {
                        for bad in stage.badRecords { try rejects.write(line: bad.line, reasons: [bad.problem.description], raw: bad.raw[...]) }
                        for (row, reasons) in stage.log.reasons.sorted(by: { stage.batch.lines[$0.key] < stage.batch.lines[$1.key] }) {
                            try rejects.write(line: stage.batch.lines[row], reasons: reasons, raw: stage.raw[row])
                        }
                        rejected += stage.badRecords.count + stage.log.reasons.count
                    }
                    progress?(stage.progress)
                }
            }
            if rowsSeen == 0 {
                log.add(ValidationProblem(file: source.label, line: 1, column: "", value: "", reason: "the input has no data rows"), row: nil)
            }
            // Stop mode rejects the run on any problem; skip mode when no row is left to commit.
            if log.total > 0, options.onError == .stop || writer.rowsWritten == 0 { throw log.error }
            try rejects?.close()
            if options.skipIfUnchanged, knownHash == nil, try RunWriter.committedRun(of: view, withContent: sha, db: db) != nil {
                return .rollback(skipped(sha))
            }
            try writer.finish(contentSHA256: sha, rejected: rejected)
            return .commit(IngestResult(runID: writer.runID, view: view.name, version: view.version, rowsWritten: writer.rowsWritten,
                                        rowsRejected: rejected, contentSHA256: sha, skippedUnchanged: false, seconds: clock.seconds))
        }
    }

    /// The reader thread: the source's typed batches, validated, until the
    /// input ends, an error occurs or the writer closes the queue. The first
    /// `options.streamedRows` rows go to the writer batch by batch, each
    /// sorted on its own; the good rows after them go to a ``RunSorter``
    /// (their bad rows at once, for the problem list and the reject file),
    /// which hands them over in primary-key order once the input has ended.
    /// The sorter's scratch files are gone before the end (or the failure)
    /// is handed over.
    private func produce(into queue: HandoffQueue<Handoff>, started: Int64, clock: Stopwatch) {
        let keepRaw = options.onError == .skip
        let sorter = RunSorter(view: view, partRows: options.sortPartRows, keepsRaw: keepRaw, scratchParent: options.scratchParent)
        do {
            let validator = Validator(view: view, file: source.label)
            var streamed = 0
            var last = IngestProgress(rows: 0, bytesRead: 0, totalBytes: nil, seconds: 0)
            let sha = try source.produce(view: view, options: options, started: started, clock: clock) { typed throws(LarderError) in
                var log = typed.log
                validator.check(typed.batch, rows: 0..<typed.batch.count, log: &log)
                last = typed.progress
                let order: [Int]
                if streamed < options.streamedRows {
                    streamed += typed.batch.count
                    order = typed.batch.primaryKeyOrder()
                } else {
                    order = (0..<typed.batch.count).filter { log.badRows[$0] }
                    let good = order.isEmpty ? Array(0..<typed.batch.count) : (0..<typed.batch.count).filter { !log.badRows[$0] }
                    try sorter.add(order.isEmpty ? typed.batch : typed.batch.gathered(good),
                                   raw: keepRaw ? Self.rawColumn(good.map { typed.raw[$0] }) : nil)
                }
                let stage = Stage(batch: typed.batch.gathered(order), log: log.gathered(order), badRecords: typed.badRecords,
                                  raw: keepRaw ? order.map { typed.raw[$0] } : [], progress: typed.progress)
                return queue.put(.stage(stage))
            }
            var open = true
            try sorter.finish(batchRows: options.batchRows) { batch, raw in
                var log = ProblemLog()
                log.startBatch(rows: batch.count)
                let rows = raw.map { raw in (0..<batch.count).map { raw.byteSlice($0) } } ?? []
                open = queue.put(.stage(Stage(batch: batch, log: log, badRecords: [], raw: rows, progress: last)))
                return open
            }
            if open { _ = queue.put(.end(sha256: sha)) }
        } catch {
            sorter.remove()
            _ = queue.put(.failure(LarderError(error)))
        }
    }

    /// Raw records as one `bytes` column, the form ``RunSorter`` keeps them in.
    private static func rawColumn(_ records: [ArraySlice<UInt8>]) -> Column {
        var column = Column(type: .bytes, capacity: records.count)
        for record in records { record.withUnsafeBytes { column.append(bytes: $0) } }
        return column
    }
}
