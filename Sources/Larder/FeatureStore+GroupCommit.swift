import Synchronization

/// Group commit: small writes in memory (a server's pushes, library writes
/// of small frames) are read, validated and sorted, and their statistics
/// gathered, by their own threads with no lock held; then whichever of
/// them holds the write lock commits every write waiting in ONE
/// transaction. Each is still its own run (its own id, rows, statistics):
/// a write that fails (a problem, a duplicate, the andon, a store error)
/// is undone alone — in a savepoint of its own when its input had
/// problems, by writing the group again without it otherwise — and gets
/// its own error; the others commit. A writer returns once its run has
/// committed and is in this process's cache, as an ungrouped write does.
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
        let entry = CommitQueue.PendingWrite(expectsRefusal: !prepared.isClean) { session, registry in
            guard try registry.view(view, version: version) == target else { throw CommitQueue.Stale() }
            var batches: [WriteBatch] = []
            let result = try pipeline.write(prepared, to: session, written: &batches)
            return .init(result: result, viewID: target.id, batches: batches)
        }
        cache.pendingWrites.add(1, ordering: .sequentiallyConsistent)
        defer { cache.pendingWrites.subtract(1, ordering: .sequentiallyConsistent) }
        commits.add(entry)
        // Whoever holds the write lock next commits every write waiting.
        // While another holds it, this writer sleeps until its write is
        // done or it is woken to commit those left, rather than wait on
        // the lock (whose waiters spin in the kernel while its holder runs,
        // and each take it in turn only to find their write done).
        while entry.outcome == nil {
            if try withStateIfAvailable({ state in commitWaiting(&state) }) == nil { entry.sleep() }
        }
        switch entry.outcome {
        case .committed(let result)?: return result
        case .failed(let error)?: throw error
        case .stale?, nil: return nil
        }
    }

    /// Under the write lock: commits the writes waiting in the queue in one
    /// transaction, then hands their rows to the cache, and records what
    /// became of each. A write expected to be refused (its input had
    /// problems) goes into a savepoint of its own, undone alone; the
    /// others share the transaction without one (a savepoint makes SQLite
    /// copy every page the write touches to a statement journal, a
    /// temporary file once it outgrows 64 KiB). When one of those fails
    /// after all (a duplicate its writer finds, the andon, a store error),
    /// the transaction is rolled back and the group written again without
    /// it.
    private func commitWaiting(_ state: inout State) {
        commits.turns.add(1, ordering: .relaxed)
        let group = commits.take()
        guard !group.isEmpty else { return }
        var outcomes: [CommitQueue.PendingWrite.Fate?] = Array(repeating: nil, count: group.count)
        defer {
            // Whatever happened, every writer of the group learns it.
            for (entry, outcome) in zip(group, outcomes) {
                entry.finish(outcome ?? .failed(LarderError(.storage, "the group commit ended early")))
            }
        }
        var pending = Array(group.indices)
        var written: [CommitQueue.PendingWrite.Written] = []
        attempts: while let attempt = writeGroup(group, pending, state: state) {
            switch attempt {
            case .rolledBack(let index, let error, let refused):
                // Undone with the whole transaction: the others are written
                // again without it (and without those refused or stale already).
                outcomes[index] = .failed(LarderError(error, store: path))
                for (i, fate) in refused { outcomes[i] = fate }
                pending.removeAll { $0 == index || refused[$0] != nil }
                commits.retries.add(1, ordering: .relaxed)
            case .ended(let error, let refused):
                // Nothing of the group is stored: each write kept for commit fails with the transaction.
                let failure = LarderError(error, store: path)
                for i in pending { outcomes[i] = refused[i] ?? .failed(failure) }
                return
            case .committed(let settled, let runs):
                for (i, fate) in settled { outcomes[i] = fate }
                written = runs
                break attempts
            }
        }
        guard !written.isEmpty else { return }
        commits.transactions.add(1, ordering: .relaxed)
        commits.runs.add(written.count, ordering: .relaxed)
        // The next query in this process sees the runs: hand their rows to the cache now.
        do {
            let runs = written.compactMap { run in run.result.runID.map { (viewID: run.viewID, runID: $0, batches: run.batches) } }
            try cache.transaction(source: state.session, handoffs: Self.handoffs(runs)) { _ in }
        } catch {
            let failure = LarderError(error, store: path)
            outcomes = outcomes.map { outcome in
                if case .committed? = outcome { return .failed(failure) }
                return outcome
            }
        }
    }

    /// What one transaction of a group came to.
    private enum GroupAttempt {
        /// Committed: the fate of each write tried, by index in the group,
        /// and what the committed ones wrote.
        case committed([Int: CommitQueue.PendingWrite.Fate], [CommitQueue.PendingWrite.Written])
        /// Rolled back because the write at `index`, not expected to be
        /// refused, failed with `error`; `refused` holds the writes
        /// refused in their savepoints, or stale, before it (fates that
        /// hold whatever the others become).
        case rolledBack(index: Int, error: any Error, refused: [Int: CommitQueue.PendingWrite.Fate])
        /// The transaction itself failed with `error` (nothing is stored);
        /// `refused` as for ``rolledBack(index:error:refused:)``.
        case ended(any Error, refused: [Int: CommitQueue.PendingWrite.Fate])
    }

    /// Writes the writes `indexes` of `group` in one transaction, in order
    /// (nil when there is none left).
    private func writeGroup(_ group: [CommitQueue.PendingWrite], _ indexes: [Int], state: State) -> GroupAttempt? {
        guard !indexes.isEmpty else { return nil }
        let session = state.session, registry = state.registry
        var settled: [Int: CommitQueue.PendingWrite.Fate] = [:]
        var written: [CommitQueue.PendingWrite.Written] = []
        var failed: (index: Int, error: any Error)?
        do {
            try session.writingRun { () throws -> TransactionEnd<Void> in
                for i in indexes {
                    let entry = group[i]
                    if entry.expectsRefusal {
                        commits.savepoints.add(1, ordering: .relaxed)
                        switch try session.savepoint({ try entry.write(session, registry) }) {
                        case .success(let run):
                            settled[i] = .committed(run.result)
                            written.append(run)
                        case .failure(is CommitQueue.Stale): settled[i] = .stale
                        case .failure(let error): settled[i] = .failed(LarderError(error, store: path))
                        }
                        continue
                    }
                    do {
                        let run = try entry.write(session, registry)
                        settled[i] = .committed(run.result)
                        written.append(run)
                    } catch is CommitQueue.Stale {
                        settled[i] = .stale // thrown before the write wrote anything
                    } catch {
                        failed = (i, error)
                        throw error
                    }
                }
                return .commit(())
            }
        } catch {
            let refused = settled.filter { _, fate in
                if case .committed = fate { return false }
                return true
            }
            if let failed { return .rolledBack(index: failed.index, error: failed.error, refused: refused) }
            return .ended(error, refused: refused)
        }
        return .committed(settled, written)
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
