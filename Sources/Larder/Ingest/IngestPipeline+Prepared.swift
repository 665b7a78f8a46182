/// Runs prepared before their transaction, so that several can be
/// committed in one (group commit, see `FeatureStore+GroupCommit.swift`):
/// a small input in memory is read, typed, validated, sorted and its
/// statistics gathered on the caller's thread with no lock held; only its
/// writes happen in the shared transaction.
extension IngestPipeline {
    /// A run read, validated and sorted, its statistics gathered, waiting
    /// for a transaction: ``write(_:to:written:)`` writes it.
    struct Prepared: Sendable {
        /// The view version the run was prepared for.
        let view: FeatureView
        /// The batches in primary-key order, each with its problems.
        let stages: [Stage]
        /// Data rows and unreadable records seen.
        let rowsSeen: Int
        /// Whether reading and validating found no problem (its writer may
        /// still find duplicates).
        let isClean: Bool
        /// The content hash (SHA-256) of the input.
        let sha256: String
        /// The statistics of the rows, when none was refused (a run with
        /// problems is not committed, so needs none).
        let statistics: [FeatureStatistics]?
        /// When the run started (µs since the epoch): its `created_timestamp` default.
        let started: Int64
        /// Time since the run started.
        let clock: Stopwatch
    }

    /// Whether this run can be prepared before its transaction and share
    /// it with others: a small input in memory, stopping at the first
    /// problem, with no reject file and no content check against the
    /// committed runs (which must be made under the write lock).
    var isPreparable: Bool {
        source.isSmallInMemory && options.onError == .stop && options.rejectFile == nil && !options.skipIfUnchanged
    }

    /// Reads, validates and sorts the input on this thread and gathers the
    /// statistics of its rows. Problems of rows do not throw here: they are
    /// thrown by ``write(_:to:written:)`` with those its writer finds
    /// (duplicates), as one list, as an ungrouped run would report them.
    ///
    /// - Throws: an input that cannot be read (a bad header, a malformed
    ///   body) or a bad option.
    func prepare() throws(LarderError) -> Prepared {
        try checkRejectRate()
        let started = Timestamp.nowMicroseconds(), clock = Stopwatch()
        let read = HandoffQueue<Handoff<SourceBatch>>(capacity: Int(Int32.max))
        let validated = HandoffQueue<Handoff<Stage>>(capacity: Int(Int32.max))
        let sorted = HandoffQueue<Handoff<Stage>>(capacity: Int(Int32.max))
        self.read(into: read, started: started, clock: clock)
        typeAndValidate(from: read, into: validated)
        order(from: validated, into: sorted)
        var stages: [Stage] = []
        var rowsSeen = 0, clean = true, sha = ""
        loop: while let handoff = sorted.take() {
            switch handoff {
            case .failure(let error): throw error
            case .end(let hash):
                sha = hash
                break loop
            case .item(let stage):
                rowsSeen += stage.batch.count + stage.badRecords.count
                clean = clean && stage.log.total == 0 && stage.badRecords.isEmpty
                stages.append(stage)
            }
        }
        var statistics: [FeatureStatistics]?
        if clean, options.gathersStatistics {
            let gatherer = StatisticsGatherer(view: view, threaded: false)
            for stage in stages { gatherer.add(stage.batch.features, skipping: nil) }
            statistics = gatherer.finish()
        }
        let isClean = clean && (rowsSeen > 0 || options.eventWindow != nil)
        return Prepared(view: view, stages: stages, rowsSeen: rowsSeen, isClean: isClean, sha256: sha, statistics: statistics,
                        started: started, clock: clock)
    }

    /// Writes a prepared run inside the caller's write transaction (or a
    /// savepoint of it) as its own run: its rows, then the same checks and
    /// figures as ``run(storage:outputs:written:beforeCommit:)``. `written`
    /// gets the run's batches for the cache.
    ///
    /// - Throws: the run's problems (those found before and the
    ///   duplicates its writer finds), the andon, or a store error; the
    ///   caller then rolls back what it wrote.
    func write(_ prepared: Prepared, to storage: some RunStorage, written: inout [WriteBatch]) throws -> IngestResult {
        let writer = try storage.beginRun(of: view, source: source.label, startedAt: prepared.started, pipelined: pipelinesWrites)
        var log = ProblemLog()
        for var stage in prepared.stages {
            try writer.write(stage.batch, ordered: stage.ordered, log: &stage.log, file: source.label)
            log.merge(stage.log)
            for bad in stage.badRecords { log.add(bad.problem, row: nil) }
            written.append(stage.batch)
        }
        try writer.settle(log: &log, file: source.label)
        try refuseOnProblems(&log, rowsSeen: prepared.rowsSeen, writer: writer)
        return try complete(writer, statistics: prepared.statistics, log: log, rejected: 0, sha: prepared.sha256, clock: prepared.clock)
    }
}
