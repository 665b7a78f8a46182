#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Backfills over intervals of history, and the ledger that keeps them:
/// each interval computed by a command or a function, validated, committed
/// as its own run with its ledger entry in the same transaction.
extension FeatureStore {
    /// Runs `producer` once per interval `[start, end)` of `options` (from
    /// `options.from` to `options.to`, every `options.every`) and commits
    /// each interval's rows to `view` (at `version`, latest when nil) as its
    /// own run, validated as any backfill is; a row whose event time falls
    /// outside its interval is a validation problem. The ledger entry of
    /// an interval (``ledger(view:version:)``) is written in the same
    /// transaction as its run, so a kill leaves neither or both.
    ///
    /// An interval already committed for this view version with the same
    /// command line (or function name) is skipped, unless `options.force`,
    /// or it ends within `options.lookback` of `options.to`: then it is
    /// recomputed, and committed as a new run only when its output's
    /// fingerprint changed (the old run stays, so `asOf` still sees the old
    /// answer). Re-running after a crash thus continues from the first
    /// interval not committed.
    ///
    /// A command that exits non-zero, is killed, outlives
    /// `options.timeoutSeconds`, or whose output fails validation fails its
    /// interval: nothing of it is written, its ledger entry says why
    /// (standard error's tail, the validation report); the other intervals
    /// go on unless `options.failFast`. Up to `options.jobs` intervals are
    /// computed at once; they are committed one at a time, in interval order.
    ///
    /// `progress` is called after each interval, in order. Throws only for
    /// bad options, an interval grid that does not match the ledger's, or a
    /// store error; the outcome of each interval is in the report.
    public func backfill(view: String, version: Int? = nil, producer: IntervalProducer, options: BackfillOptions,
                         progress: (@Sendable (BackfillInterval, BackfillReport.Outcome) -> Void)? = nil) throws(LarderError) -> BackfillReport {
        guard options.jobs >= 1 else { throw .invalidInput("--jobs must be at least 1, not \(options.jobs)") }
        if let timeout = options.timeoutSeconds, !(timeout > 0) { throw .invalidInput("--timeout must be a positive duration") }
        guard options.lookback >= 0 else { throw .invalidInput("--lookback must not be negative") }
        guard options.ingest.onError == .stop else {
            throw .invalidInput("a backfill over intervals commits whole intervals: --on-error skip is not supported with --command")
        }
        let tiles = try BackfillInterval.tiles(from: options.from, to: options.to, every: options.every)
        let target = try registry.view(view, version: version)
        let entries = try withReader { state in try state.session.ledger(of: target.name, version: target.version) }
        let known = try Self.ledgerByStart(entries, tiles: tiles, options: options, view: target)

        let recomputeAfter = options.to.microseconds - options.lookback
        var outcomes: [BackfillReport.Outcome?] = Array(repeating: nil, count: tiles.count)
        var toRun: [Int] = []
        for (i, tile) in tiles.enumerated() {
            let late = options.lookback > 0 && tile.end.microseconds > recomputeAfter
            if let entry = known[tile.start.microseconds], entry.status == .committed, entry.command == producer.identity(for: tile),
               !options.force, !late {
                outcomes[i] = .skipped
            } else {
                toRun.append(i)
            }
        }
        var report: BackfillReport {
            BackfillReport(intervals: zip(tiles, outcomes).map { ($0, $1 ?? .notRun) })
        }
        guard !toRun.isEmpty else {
            for (tile, outcome) in report.intervals { progress?(tile, outcome) }
            return report
        }

        let scratch = try ScratchFolder(parent: options.ingest.scratchParent)
        defer { scratch.remove() }
        let folder = scratch.path, runIndexes = toRun
        let workers = IntervalWorkers<IntervalOutput>(count: toRun.count, jobs: options.jobs) { n in
            IntervalOutput.produce(producer, for: tiles[runIndexes[n]], view: target, eventColumn: options.ingest.eventTimeColumn,
                                   timeoutSeconds: options.timeoutSeconds,
                                   folder: folder, name: String(n))
        }
        defer { for output in workers.stop() { output.remove() } }
        var taken = 0, stopping = false
        for (i, tile) in tiles.enumerated() {
            if outcomes[i] == nil, !stopping {
                let output = workers.take(taken)
                taken += 1
                defer { output.remove() }
                let outcome = try commit(output, interval: tile, of: target, producer: producer, known: known[tile.start.microseconds],
                                         options: options)
                outcomes[i] = outcome
                if case .failed = outcome, options.failFast { stopping = true }
            }
            progress?(tile, outcomes[i] ?? .notRun)
        }
        return report
    }

    /// The ledger of `view` at `version` (latest when nil): an entry per
    /// interval a backfill has committed or failed, by interval start.
    public func ledger(view: String, version: Int? = nil) throws(LarderError) -> [LedgerEntry] {
        try withReader { state in
            let target = try state.registry.view(view, version: version)
            return try state.session.ledger(of: target.name, version: target.version)
        }
    }

    /// The ledger's entries by start, after checking that those the range
    /// touches are on its grid (an entry straddling two intervals would make
    /// "committed" ambiguous).
    private static func ledgerByStart(_ entries: [LedgerEntry], tiles: [BackfillInterval], options: BackfillOptions,
                                      view: FeatureView) throws(LarderError) -> [Int64: LedgerEntry] {
        let range = BackfillInterval(start: options.from, end: options.to)
        var byStart: [Int64: LedgerEntry] = [:]
        for entry in entries where entry.interval.overlaps(range) {
            let offset = entry.interval.start.microseconds - options.from.microseconds
            guard offset % options.every == 0, entry.interval.end.microseconds - entry.interval.start.microseconds == options.every else {
                throw .invalidInput("""
                    the ledger of \(view.name)@\(view.version) holds the interval \(entry.interval), which is not on the grid of \
                    --from \(BackfillInterval.text(options.from)) --every \(DurationText.format(options.every)): use the grid of the \
                    earlier backfills (see `larder ledger \(view.name)`)
                    """)
            }
            byStart[entry.interval.start.microseconds] = entry
        }
        return byStart
    }

    /// Commits one computed interval (or records its failure) and says what happened.
    private func commit(_ output: IntervalOutput, interval: BackfillInterval, of view: FeatureView, producer: IntervalProducer,
                        known: LedgerEntry?, options: BackfillOptions) throws(LarderError) -> BackfillReport.Outcome {
        let command = producer.identity(for: interval)
        let source: any IngestSource, sha: String
        switch output {
        case .failed(let message):
            try recordFailure(message, interval: interval, of: view, command: command)
            return .failed(message)
        case .file(let path, let hash, _):
            (source, sha) = (FileSource(source: .file(path), name: interval.description), hash)
        case .frame(let frame):
            (source, sha) = (frame, frame.sha256)
        }
        let fingerprint = LedgerEntry.fingerprint(version: view.version, command: command, contentSHA256: sha)
        if let known, known.status == .committed, known.fingerprint == fingerprint { return .unchanged }
        var reading = options.ingest
        reading.eventWindow = interval
        reading.skipIfUnchanged = false
        let wasCommitted = known?.status == .committed
        var committedMeanwhile = false
        let record = { (result: IngestResult, session: any StoreSession) throws in
            // Under the write lock: another process may have committed this interval since it was planned.
            if !wasCommitted, let now = try session.ledgerEntry(of: view.name, version: view.version, startingAt: interval.start),
               now.status == .committed, now.command == command {
                committedMeanwhile = true
                throw LarderError.conflict("interval \(interval) of \(view.name)@\(view.version) was committed meanwhile by another backfill")
            }
            try session.record(LedgerEntry(view: view.name, version: view.version, interval: interval, status: .committed, runID: result.runID,
                                           command: command, contentSHA256: result.contentSHA256, fingerprint: fingerprint, message: "",
                                           recordedAt: .now))
        }
        do {
            let result = try ingest(source, into: view.name, version: view.version, options: reading, progress: nil, beforeCommit: record)
            return .committed(runID: result.runID ?? 0, rows: result.rowsWritten)
        } catch where committedMeanwhile {
            return .skipped // the other backfill's run is the interval's: nothing written twice
        } catch where error.category == .invalidInput {
            let message = output.stderrTail.isEmpty ? error.description : "\(error.description)\n\(output.stderrTail)"
            try recordFailure(message, interval: interval, of: view, command: command)
            return .failed(message)
        }
    }

    /// Records that `interval` failed, in a transaction of its own: a
    /// failed entry, or, when the interval was committed before (a
    /// recomputation failed), the committed entry with the failure as its
    /// message (its data is still there).
    private func recordFailure(_ message: String, interval: BackfillInterval, of view: FeatureView, command: String) throws(LarderError) {
        try withState { state in
            let session = state.session
            try session.writing {
                let now = Timestamp.now
                if var entry = try session.ledgerEntry(of: view.name, version: view.version, startingAt: interval.start),
                   entry.status == .committed {
                    entry.message = "recomputing at \(now) failed: \(message)"
                    try session.record(entry)
                } else {
                    try session.record(LedgerEntry(view: view.name, version: view.version, interval: interval, status: .failed, runID: nil,
                                                   command: command, contentSHA256: "", fingerprint: "", message: message, recordedAt: now))
                }
            }
        }
    }
}
