import Synchronization

/// Group commit: small writes in memory (a server's pushes, library writes
/// of small frames) are read, validated and sorted, and their statistics
/// gathered, by their own threads with no lock held; then whichever of
/// them holds the write lock commits every write waiting in ONE
/// transaction. Each is still its own run (its own id, rows, statistics)
/// inside a savepoint of its own: a write that fails (a problem, a
/// duplicate, the andon, a store error) is undone alone and gets its own
/// error; the others commit. A writer returns once its run has committed
/// and is in this process's cache, as an ungrouped write does.
extension FeatureStore {
    /// Writes `source` to `view` as one run through the commit queue, or
    /// answers nil when the run cannot be prepared before its transaction
    /// (see ``IngestPipeline/isPreparable``), the write connection has not
    /// seen the view yet, or the view changed while the run was prepared:
    /// the caller then writes it alone (and reports an unknown view).
    func ingestPrepared(_ source: some IngestSource, into view: String, version: Int?,
                        options: IngestOptions) throws(LarderError) -> IngestResult? {
        // The write connection's last registry: the commit checks it again under the lock.
        guard let known = writerRegistry.withLock({ $0 }), let target = try? known.view(view, version: version) else { return nil }
        let pipeline = IngestPipeline(view: target, source: source, options: options, progress: nil)
        guard pipeline.isPreparable else { return nil }
        let prepared = try pipeline.prepare()
        let entry = CommitQueue.PendingWrite { session, registry in
            guard try registry.view(view, version: version) == target else { throw CommitQueue.Stale() }
            var batches: [WriteBatch] = []
            let result = try pipeline.write(prepared, to: session, written: &batches)
            return .init(result: result, viewID: target.id, batches: batches)
        }
        cache.pendingWrites.add(1, ordering: .sequentiallyConsistent)
        defer { cache.pendingWrites.subtract(1, ordering: .sequentiallyConsistent) }
        commits.add(entry)
        // The writer that holds the lock commits every write waiting; when
        // this one gets it, its write may already be done.
        try withState { state in try commitWaiting(&state) }
        switch entry.outcome {
        case .committed(let result)?: return result
        case .failed(let error)?: throw error
        case .stale?, nil: return nil
        }
    }

    /// Under the write lock: commits the writes waiting in the queue in one
    /// transaction, each in a savepoint of its own, then hands their rows
    /// to the cache, and records what became of each.
    private func commitWaiting(_ state: inout State) throws {
        let group = commits.take()
        guard !group.isEmpty else { return }
        let session = state.session, registry = state.registry
        var outcomes: [CommitQueue.PendingWrite.Fate] = []
        var written: [CommitQueue.PendingWrite.Written] = []
        defer {
            // Whatever happened, every writer of the group learns it.
            for (i, entry) in group.enumerated() {
                entry.finish(i < outcomes.count ? outcomes[i] : .failed(LarderError(.storage, "the group commit ended early")))
            }
        }
        do {
            try session.writingRun { () throws -> TransactionEnd<Void> in
                for entry in group {
                    switch try session.savepoint({ try entry.write(session, registry) }) {
                    case .success(let run):
                        outcomes.append(.committed(run.result))
                        written.append(run)
                    case .failure(is CommitQueue.Stale): outcomes.append(.stale)
                    case .failure(let error): outcomes.append(.failed(LarderError(error, store: path)))
                    }
                }
                return .commit(())
            }
        } catch {
            // Nothing of the group is stored: each write kept for commit fails with the transaction.
            let failure = LarderError(error, store: path)
            outcomes = group.indices.map { i in
                if i < outcomes.count, case .committed = outcomes[i] { return .failed(failure) }
                return i < outcomes.count ? outcomes[i] : .failed(failure)
            }
            return
        }
        if !written.isEmpty {
            commits.transactions.add(1, ordering: .relaxed)
            commits.runs.add(written.count, ordering: .relaxed)
        }
        // The next query in this process sees the runs: hand their rows to the cache now.
        do {
            let runs = written.compactMap { run in run.result.runID.map { (viewID: run.viewID, runID: $0, batches: run.batches) } }
            try cache.transaction(source: session, handoffs: Self.handoffs(runs)) { _ in }
        } catch {
            let failure = LarderError(error, store: path)
            outcomes = outcomes.map { outcome in
                if case .committed = outcome { return .failed(failure) }
                return outcome
            }
        }
    }

    /// The rows of committed runs as the cache takes them: one hand-off per
    /// view version, its runs' rows in primary-key order (ties by run).
    static func handoffs(_ runs: [(viewID: Int64, runID: Int64, batches: [WriteBatch])]) -> [FeatureCache.Handoff] {
        var views: [Int64] = []
        var byView: [Int64: [(id: Int64, batches: [WriteBatch])]] = [:]
        for run in runs {
            if byView[run.viewID] == nil { views.append(run.viewID) }
            byView[run.viewID, default: []].append((run.runID, run.batches))
        }
        return views.compactMap { viewID in
            let runs = byView[viewID] ?? []
            return WriteBatch.sorted(runs: runs).map { sorted in
                FeatureCache.Handoff(runs: runs.map(\.id), viewID: viewID, keys: sorted.rows.keys, eventTimes: sorted.rows.eventTimes,
                                     createdTimes: sorted.rows.createdTimes, runIDs: sorted.runIDs, features: sorted.rows.features)
            }
        }
    }
}
