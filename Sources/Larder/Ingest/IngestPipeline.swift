import class Foundation.Thread
import class Dispatch.DispatchSemaphore

/// The one way rows get into a store: every writer — `larder backfill`, a
/// library write, and the clients to come — runs its ``IngestSource``
/// through this pipeline, so every run is typed, validated, hashed and
/// written the same way:
///
/// source (read, split, hash) → typer and validator → sort into
/// primary-key order → writer (+ statistics of the written rows, gathered
/// on a thread of their own and stored with the run)
///
/// Five threads: one reads the input, splits it into records and hashes it;
/// one types and validates each batch (so that on two cores splitting the
/// next batch and typing this one overlap); one puts the rows into
/// primary-key order; the calling thread inserts them; one gathers the
/// statistics of the inserted rows (``StatisticsGatherer``). Each hands
/// batches to the next through a bounded first-in first-out
/// ``HandoffQueue``, so batches keep their input order (and their line
/// numbers) to the sorting thread. A small input in memory
/// (``IngestSource/isSmallInMemory``) is read, typed and sorted on the
/// calling thread first: a server's push starts no thread. All writes
/// happen inside the run's single write transaction, which commits at the
/// end or rolls everything back. The first ``IngestOptions/streamedRows``
/// rows are written as they come, each batch sorted on its own; the rest of
/// the run is sorted as a whole by a ``RunSorter`` (spilling to scratch
/// files) and written once the input has ended, so that a run larger than
/// SQLite's page cache still visits each B-tree page once.
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
        /// The rows: in input order from the reader, in primary-key order from the sorting thread.
        var batch: WriteBatch
        /// Which rows (of `batch`) are bad; the writer skips them.
        var log: ProblemLog
        /// Records that could not be split into fields.
        var badRecords: [BadRecord]
        /// The raw text of each row of `batch` (skip mode only, for the reject file).
        var raw: [ArraySlice<UInt8>]
        /// Progress after this batch.
        var progress: IngestProgress
        /// Whether the batch is written as it comes (sorted on its own)
        /// rather than given to the run's ``RunSorter``.
        var streamed = true
        /// Whether the batch comes from the run's ``RunSorter``: its rows
        /// follow those of every earlier such batch in primary-key order
        /// (``RunSink/write(_:ordered:log:file:)``).
        var ordered = false
    }

    /// What one thread hands the next: an item (a batch read, or a stage),
    /// the end with the content hash, or an error.
    enum Handoff<Item: Sendable>: Sendable {
        case item(Item)
        case end(sha256: String)
        case failure(LarderError)
    }

    /// The most rows a run hands to the cache as typed batches (see
    /// ``run(storage:outputs:written:)``); a larger run is read back from the store.
    static var handoffRows: Int { 65_536 }

    /// Runs the pipeline into `storage` as one run; the reject file (skip mode)
    /// goes through `outputs`, which the caller commits once the run has.
    /// When the committed run has at most ``handoffRows`` rows and none was
    /// rejected, `written` holds its rows, batch by batch in primary-key
    /// order within each batch, for the cache; otherwise it is `nil`.
    /// `beforeCommit` runs inside the run's transaction just before it
    /// commits (the backfill ledger writes its entry there); an error
    /// from it rolls the run back.
    func run(storage: some RunStorage, outputs: OutputFiles, written: inout [WriteBatch]?,
             beforeCommit: ((IngestResult) throws -> Void)? = nil) throws -> IngestResult {
        written = []
        let clock = Stopwatch()
        let started = Timestamp.nowMicroseconds()
        func skipped(_ sha: String) -> IngestResult {
            IngestResult(runID: nil, view: view.name, version: view.version, rowsWritten: 0, rowsRejected: 0,
                         contentSHA256: sha, skippedUnchanged: true, seconds: clock.seconds)
        }
        try checkRejectRate()
        let knownHash = options.skipIfUnchanged ? try source.hashBeforeReading() : nil
        if let knownHash, try storage.committedRun(of: view, withContent: knownHash) != nil { return skipped(knownHash) }
        let keepRaw = options.onError == .skip
        let rejects = try options.rejectFile.map { destination throws(LarderError) in RejectFile(sink: try outputs.sink(for: destination)) }
        if keepRaw, rejects == nil { throw LarderError.invalidInput("--on-error skip needs --reject-file FILE for the rejected lines") }

        // A small input already in memory (a server's push) is read,
        // validated and sorted on this thread before the transaction: no
        // thread to start, no handoff to wait for. The queues then hold
        // every batch (a few at most).
        let inline = source.isSmallInMemory
        // One batch waiting between two threads is enough to keep both busy: a batch of
        // records holds its bytes and cells (about 5 MB at 16,384 rows of the bench schema),
        // a typed batch about 3 MB at 32,768 rows (a second one waiting, measured at twice
        // those sizes: 1M rows 170 → 176 MB peak, no faster).
        let capacity = inline ? Int(Int32.max) : 1
        let read = HandoffQueue<Handoff<SourceBatch>>(capacity: capacity)
        let validated = HandoffQueue<Handoff<Stage>>(capacity: capacity)
        let queue = HandoffQueue<Handoff<Stage>>(capacity: capacity)
        let pipeline = self
        let finished = DispatchSemaphore(value: 0)
        var threads = 0
        if inline {
            self.read(into: read, started: started, clock: clock)
            typeAndValidate(from: read, into: validated)
            order(from: validated, into: queue)
        } else {
            let bodies: [@Sendable () -> Void] = [{ pipeline.read(into: read, started: started, clock: clock) },
                                                  { pipeline.typeAndValidate(from: read, into: validated) },
                                                  { pipeline.order(from: validated, into: queue) }]
            for body in bodies {
                let thread = Thread {
                    HelperPriority.yieldToWriter()
                    body()
                    finished.signal()
                }
                thread.stackSize = 8 << 20
                thread.start()
                threads += 1
            }
        }
        defer {
            queue.close() // stops the other threads if the writer stops early
            for _ in 0..<threads { finished.wait() } // and waits until they have ended (the scratch files are gone)
        }

        return try storage.writingRun { () throws -> TransactionEnd<IngestResult> in
            // Decided inside the write lock: no other writer can commit the same content meanwhile.
            if let knownHash, try storage.committedRun(of: view, withContent: knownHash) != nil { return .rollback(skipped(knownHash)) }
            let writer = try storage.beginRun(of: view, source: source.label, startedAt: started, pipelined: pipelinesWrites)
            var log = ProblemLog()
            let gatherer = options.gathersStatistics ? StatisticsGatherer(view: view, threaded: !inline) : nil
            defer { gatherer?.abandon() }
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
                case .item(var stage):
                    rowsSeen += stage.batch.count + stage.badRecords.count
                    try writer.write(stage.batch, ordered: stage.ordered, log: &stage.log, file: source.label)
                    gatherer?.add(stage.batch.features, skipping: stage.log.badRows)
                    if stage.log.total == 0, stage.badRecords.isEmpty, writer.rowsWritten <= IngestPipeline.handoffRows {
                        written?.append(stage.batch)
                    } else {
                        written = nil
                    }
                    log.merge(stage.log)
                    for bad in stage.badRecords { log.add(bad.problem, row: nil) }
                    if keepRaw, let rejects {
                        // Records that could not be split and rows refused, in line order.
                        var refused = stage.badRecords.map { (line: $0.line, reasons: [$0.problem.description], raw: $0.raw[...]) }
                        for (row, reasons) in stage.log.reasons { refused.append((stage.batch.lines[row], reasons, stage.raw[row])) }
                        for reject in refused.sorted(by: { $0.line < $1.line }) {
                            try rejects.write(line: reject.line, reasons: reject.reasons, raw: reject.raw)
                        }
                        rejected += refused.count
                    }
                    progress?(stage.progress)
                }
            }
            try writer.settle(log: &log, file: source.label)
            try refuseOnProblems(&log, rowsSeen: rowsSeen, writer: writer)
            try rejects?.close()
            if options.skipIfUnchanged, knownHash == nil, try storage.committedRun(of: view, withContent: sha) != nil {
                return .rollback(skipped(sha))
            }
            let result = try complete(writer, statistics: gatherer?.finish(), log: log, rejected: rejected, sha: sha, clock: clock)
            try beforeCommit?(result)
            return .commit(result)
        }
    }

    /// Whether the run's writer may send a batch before it learns how the
    /// one before went (``RunStorage/beginRun(of:source:startedAt:pipelined:)``):
    /// in stop mode, where any problem refuses the run, so a duplicate
    /// learned late only needs reporting; not in skip mode, where each
    /// batch's written rows must be known before the next batch is taken
    /// (statistics, the cache's rows, the reject file).
    var pipelinesWrites: Bool { options.onError == .stop }

    /// Throws the run's problems when they refuse it: any in stop mode, or
    /// no row left to commit in skip mode. An input with no data rows is a
    /// problem, except for an interval of a backfill (`eventWindow`),
    /// whose answer may be an empty run.
    func refuseOnProblems(_ log: inout ProblemLog, rowsSeen: Int, writer: any RunSink) throws {
        if rowsSeen == 0, options.eventWindow == nil {
            log.add(ValidationProblem(file: source.label, line: 1, column: "", value: "", reason: "the input has no data rows"), row: nil)
        }
        if log.total > 0, options.onError == .stop || writer.rowsWritten == 0 { throw log.error }
    }

    /// The end of a run that is kept, inside its transaction: its
    /// statistics (with the rows refused, by rule, and those rejected)
    /// pass the andon on null and reject rates and are stored, then its
    /// figures; answers what the run did.
    func complete(_ writer: any RunSink, statistics gathered: [FeatureStatistics]?, log: ProblemLog, rejected: Int, sha: String,
                  clock: Stopwatch) throws -> IngestResult {
        if var statistics = gathered {
            for (refused, count) in log.refusals { statistics[refused.feature].addRejected(rows: Int64(count), rule: refused.rule) }
            for f in statistics.indices { statistics[f].addRunRejected(rows: Int64(rejected)) }
            try RateLimits(view: view, maxRejectRate: options.maxRejectRate).check(statistics)
            try writer.record(statistics)
        }
        try writer.finish(contentSHA256: sha, rejected: rejected)
        return IngestResult(runID: writer.runID, view: view.name, version: view.version, rowsWritten: writer.rowsWritten,
                            rowsRejected: rejected, contentSHA256: sha, skippedUnchanged: false, seconds: clock.seconds)
    }

    /// Refuses a maximum reject rate that is no fraction.
    func checkRejectRate() throws(LarderError) {
        if let limit = options.maxRejectRate, !(0...1).contains(limit) {
            throw LarderError.invalidInput("the maximum reject rate is a fraction from 0 to 1 (0.05 is 5%), not \(limit)")
        }
    }

    /// The reader thread: the source's batches (split, not yet typed), in
    /// input order, until the input ends, an error occurs or the typing
    /// thread closes the queue; then the content hash. It reads the next
    /// batch only once the typing thread has taken the last one: two raw
    /// batches in memory (one typed, one read), not three.
    func read(into queue: HandoffQueue<Handoff<SourceBatch>>, started: Int64, clock: Stopwatch) {
        do {
            let sha = try source.produce(view: view, options: options, started: started, clock: clock) { batch in
                guard queue.put(.item(batch)) else { return false }
                queue.waitForRoom()
                return true
            }
            _ = queue.put(.end(sha256: sha))
        } catch {
            _ = queue.put(.failure(LarderError(error)))
        }
    }

    /// The typing thread: the batches read, typed and validated, in the
    /// order read, until the reader's end or error (passed on) or until
    /// the sorting thread closes the queue. The reader's batches of
    /// ``IngestOptions/readRows`` records are typed into batches of
    /// `options.batchRows` rows, so that two of the reader's batches in
    /// memory are one typed batch. The first `options.streamedRows` rows
    /// are marked to be written as they come.
    func typeAndValidate(from read: HandoffQueue<Handoff<SourceBatch>>, into queue: HandoffQueue<Handoff<Stage>>) {
        defer { read.close() } // stops the reader when this ends early
        let validator = Validator(view: view, file: source.label, window: options.eventWindow)
        var rows = 0
        var pending: TypedBatch?
        /// Validates the rows typed so far and hands them on; false when the queue is closed.
        func handOn() -> Bool {
            guard let typed = pending else { return true }
            pending = nil
            var log = typed.log
            validator.check(typed.batch, rows: 0..<typed.batch.count, log: &log)
            let stage = Stage(batch: typed.batch, log: log, badRecords: typed.badRecords, raw: typed.raw,
                              progress: typed.progress, streamed: rows < options.streamedRows)
            rows += typed.batch.count
            return queue.put(.item(stage))
        }
        while let handoff = read.take() {
            switch consume handoff { // so that typing hands the raw batch back to its pool unshared
            case .failure(let error):
                _ = queue.put(.failure(error))
                return
            case .end(let sha):
                guard handOn() else { return }
                _ = queue.put(.end(sha256: sha))
                return
            case .item(let batch):
                let typed = batch.isTyped
                if typed { guard handOn() else { return } }
                batch.type(appendingTo: &pending, capacity: options.batchRows)
                if typed || pending.map({ $0.batch.count + $0.badRecords.count >= options.batchRows }) == true {
                    guard handOn() else { return }
                }
            }
        }
    }

    /// The sorting thread: streamed batches go on sorted on their own; the
    /// good rows of the others go to a ``RunSorter`` (their bad rows on at
    /// once, for the problem list and the reject file), which hands them
    /// over in primary-key order once the input has ended. The sorter's
    /// scratch files are gone before this returns, on every path.
    func order(from validated: HandoffQueue<Handoff<Stage>>, into queue: HandoffQueue<Handoff<Stage>>) {
        let keepRaw = options.onError == .skip
        let sorter = RunSorter(view: view, partRows: options.sortPartRows, keepsRaw: keepRaw, scratchParent: options.scratchParent)
        defer {
            sorter.remove()
            validated.close() // stops the typing thread (and so the reader) when this ends early
        }
        var last = IngestProgress(rows: 0, bytesRead: 0, totalBytes: nil, seconds: 0)
        do {
            while let handoff = validated.take() {
                switch consume handoff { // so that sorting reorders the batch in place, not a copy
                case .failure(let error):
                    _ = queue.put(.failure(error))
                    return
                case .end(let sha):
                    var open = true
                    try sorter.finish(batchRows: options.batchRows) { batch, raw in
                        var log = ProblemLog()
                        log.startBatch(rows: batch.count)
                        let rows = raw.map { raw in (0..<batch.count).map { raw.byteSlice($0) } } ?? []
                        open = queue.put(.item(Stage(batch: batch, log: log, badRecords: [], raw: rows, progress: last, ordered: true)))
                        return open
                    }
                    if open { _ = queue.put(.end(sha256: sha)) }
                    return
                case .item(let stage):
                    last = stage.progress
                    guard queue.put(.item(try sorted(stage, into: sorter))) else { return }
                }
            }
        } catch {
            _ = queue.put(.failure(LarderError(error)))
        }
    }

    /// What goes to the writer for `stage`: all its rows in primary-key
    /// order when it is streamed, else only its bad rows, the good ones
    /// going to `sorter`. The batch is reordered in place.
    private func sorted(_ stage: consuming Stage, into sorter: RunSorter) throws(LarderError) -> Stage {
        var stage = stage
        let order: [Int]
        if stage.streamed {
            order = stage.batch.primaryKeyOrder()
        } else {
            let bad = stage.log.badRows
            order = (0..<stage.batch.count).filter { bad[$0] }
            let good = order.isEmpty ? Array(0..<stage.batch.count) : (0..<stage.batch.count).filter { !bad[$0] }
            try sorter.add(order.isEmpty ? stage.batch : stage.batch.gathered(good),
                           raw: sorter.keepsRaw ? Self.rawColumn(good.map { [raw = stage.raw] in raw[$0] }) : nil)
        }
        stage.batch.reorder(order)
        stage.log = stage.log.gathered(order)
        stage.raw = sorter.keepsRaw ? order.map { [raw = stage.raw] in raw[$0] } : []
        return stage
    }

    /// Raw records as one `bytes` column, the form ``RunSorter`` keeps them in.
    private static func rawColumn(_ records: [ArraySlice<UInt8>]) -> Column {
        var column = Column(type: .bytes, capacity: records.count)
        for record in records { record.withUnsafeBytes { column.append(bytes: $0) } }
        return column
    }
}
