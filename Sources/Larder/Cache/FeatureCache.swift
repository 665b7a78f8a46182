import class Foundation.Thread
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The columnar cache: one ``CachedView`` per cached view version (a base
/// snapshot, mapped from the cache folder when it can be, plus a delta of
/// later runs), and the ``RunTable`` their rows are checked against.
///
/// **Reading.** ``contents`` hands out the current ``Contents`` (one retain
/// under a mutex); a reader then works on immutable data with no lock held
/// and never waits for a load.
///
/// **Loading.** A view version's first use maps its newest usable snapshot
/// file (a header check, see ``SnapshotFiles``) and reads only the rows of
/// runs committed after it, as a delta. With no usable file the rows are
/// read from the store once, and written to a snapshot file for every
/// later process (kept in memory when the folder cannot be written).
///
/// **Writing.** Everything that reads SQLite — loading a view, refreshing —
/// runs under ``transaction(source:handoffs:_:)``'s lock, through the
/// caller's ``CacheSource`` (the engine below: one of the store's SQLite
/// connections): one refresh at a time. A refresh builds new views beside the old ones
/// and swaps the whole ``Contents`` in one assignment.
///
/// **Refresh.** ``transaction(source:handoffs:_:)`` starts with a check of the
/// greatest run id (a commit by any connection adds a run) and of the view
/// versions (a drop or re-creation). New runs are read into the run table; each
/// cached view with a new run reads only the rows of runs after the last one
/// it has (`__run_id > last`) and merges them into its delta — O(delta),
/// whatever the size of the base. When the delta outgrows
/// ``compactionRows`` and an eighth of the base, it is folded into a new base
/// snapshot (a new file). Queries check on every call; prepared readers
/// check at most every ``checkInterval`` microseconds; the write path
/// refreshes right after its commit, so the next query in the process sees
/// the write.
///
/// **Budget.** View versions are cached first come, first served while they
/// fit in ``budget`` bytes; a version that does not fit (or that a delta
/// makes too big) is answered from SQLite instead, and is tried again when
/// memory is freed.
final class FeatureCache: Sendable {
    /// What the cache holds at one moment. Immutable: a change makes a new one.
    final class Contents: Sendable {
        /// Every run committed when the contents were read.
        let runs: RunTable
        /// Cached views by view version id.
        let snapshots: [Int64: CachedView]
        /// View versions (id → `created_at`) that did not fit in the budget.
        let refused: [Int64: Int64]

        /// The ids of ``snapshots`` in ascending order, and their views in
        /// the same order: what a read searches (a binary search over a few
        /// integers costs less than hashing the id into the dictionary).
        private let ids: [Int64], views: [CachedView]

        init(runs: RunTable, snapshots: [Int64: CachedView], refused: [Int64: Int64]) {
            self.runs = runs
            self.snapshots = snapshots
            self.refused = refused
            let sorted = snapshots.sorted { $0.key < $1.key }
            ids = sorted.map(\.key)
            views = sorted.map(\.value)
        }

        /// Whether the view version `id` created at `createdAt` is answered
        /// from SQLite because it did not fit.
        func refuses(id: Int64, createdAt: Int64) -> Bool { refused[id] == createdAt }

        /// The cached rows of `view`, when it is cached.
        func snapshot(of view: FeatureView) -> CachedView? {
            snapshot(id: view.id, createdAt: view.createdAt.microseconds)
        }

        /// The snapshot of the view version `id` created at `createdAt`, when
        /// it is cached.
        @inline(__always) func snapshot(id: Int64, createdAt: Int64) -> CachedView? {
            var low = 0, high = ids.count
            while low < high {
                let middle = (low + high) / 2
                if ids[middle] < id { low = middle + 1 } else { high = middle }
            }
            guard low < ids.count, ids[low] == id, views[low].holds(id: id, createdAt: createdAt) else { return nil }
            return views[low]
        }
    }

    /// The memory the snapshots may hold, in bytes; 0 caches nothing.
    let budget: Int
    /// The cache folder, or `nil` to keep every snapshot in memory.
    let files: SnapshotFiles?
    /// Rows read from SQLite into the cache so far (loads and deltas): what
    /// tests check to see that a write reached the cache without a re-read.
    let rowsLoaded = Atomic<Int>(0)
    /// Writes of this process between their start and their hand-off to
    /// the cache: while any is on its way, background checks for other
    /// processes' commits stand aside (``refreshUnlessWriting(source:)``),
    /// so that they do not read back from SQLite a run its writer is
    /// about to hand over (the writer's own refresh sees every commit).
    let pendingWrites = Atomic<Int>(0)
    /// A delta with more rows than this (or than an eighth of its base) is
    /// folded into a new base snapshot.
    let compactionRows: Int
    /// The usual ``compactionRows``.
    static let defaultCompactionRows = 65_536
    /// A compaction whose result has at least this many rows runs on a
    /// thread of its own, so the write or query that found it due does not
    /// wait for it; smaller ones run at once.
    let backgroundRows: Int
    /// The usual ``backgroundRows``.
    static let defaultBackgroundRows = 1_000_000
    /// View versions (ids) with a compaction running in the background.
    private let compacting = Mutex<Set<Int64>>([])
    private let state: Mutex<Contents>
    /// When prepared readers last checked for other processes' commits (µs,
    /// wall clock), so that they check at most every ``checkInterval``.
    private let lastCheck = Atomic<Int64>(0)
    /// Held while the cache is refreshed or loaded: one at a time, whichever
    /// connection does it, so each works from the contents the last left.
    private let refreshing = Lock()
    /// How often prepared readers look for other processes' commits (µs).
    static let checkInterval: Int64 = 250_000

    /// An empty cache allowed `budget` bytes, keeping snapshot files in
    /// `files` (`nil`: in memory only).
    init(budget: Int, files: SnapshotFiles?, compactionRows: Int = FeatureCache.defaultCompactionRows,
         backgroundRows: Int = FeatureCache.defaultBackgroundRows) {
        self.budget = max(0, budget)
        self.files = files
        self.compactionRows = compactionRows
        self.backgroundRows = backgroundRows
        state = Mutex(Contents(runs: RunTable(), snapshots: [:], refused: [:]))
    }

    /// A quarter of the machine's physical memory (1 GiB when unknown).
    static var defaultBudget: Int {
        #if canImport(Glibc)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        #else
        let pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGESIZE)
        #endif
        return pages > 0 && pageSize > 0 ? pages * pageSize / 4 : 1 << 30
    }

    /// The current contents.
    @inline(__always) var contents: Contents { state.withLock { $0 } }

    /// Whether a prepared reader should look for other processes' commits
    /// now; when it returns `true` the next check is due ``checkInterval``
    /// later, so concurrent readers do not all check at once.
    @inline(__always) func claimCheck(now: Int64) -> Bool {
        let last = lastCheck.load(ordering: .relaxed)
        guard now &- last >= FeatureCache.checkInterval || now < last else { return false }
        return lastCheck.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
    }

    // MARK: Refreshing and loading (store connection only)

    /// Work on the cache with one of the store's connections, which the
    /// caller holds exclusively, inside one read transaction: the refresh,
    /// the loads and any SQLite answers read the same state of the store.
    struct Transaction {
        let cache: FeatureCache
        let source: any CacheSource

        /// The run table as of this transaction.
        var runs: RunTable { cache.contents.runs }

        /// The cached rows of `view`, loaded now if it is not cached and
        /// fits in the budget; `nil` when the view is answered from SQLite.
        func snapshot(of view: FeatureView) throws -> CachedView? {
            let contents = cache.contents
            if let cached = contents.snapshot(of: view) { return cached }
            if contents.refuses(id: view.id, createdAt: view.createdAt.microseconds) || cache.budget == 0 { return nil }
            var snapshots = contents.snapshots, refused = contents.refused
            snapshots[view.id] = nil
            let room = cache.budget - snapshots.values.reduce(0) { $0 + $1.byteCount }
            let loaded = try cache.load(view, runs: contents.runs, source: source, byteLimit: room)
            if let loaded { snapshots[view.id] = loaded } else { refused[view.id] = view.createdAt.microseconds }
            cache.install(Contents(runs: contents.runs, snapshots: snapshots, refused: refused))
            return loaded
        }
    }

    /// Brings the cache up to date with the store, then runs `body`, all in
    /// one read transaction of `source` (on a connection the caller holds).
    /// Inside a transaction the caller already opened (not the way it is
    /// meant to be used: call it after a commit) it runs in that transaction.
    func transaction<R>(source: some CacheSource, handoffs: [Handoff] = [], _ body: (Transaction) throws -> R) throws -> R {
        func work() throws -> R {
            try refresh(source: source, handoffs: handoffs)
            return try body(Transaction(cache: self, source: source))
        }
        // The lock is taken before the read transaction begins, so each
        // refresh sees the store at least as new as the one before it.
        return try refreshing.withLock { try source.reading(work) }
    }

    /// Brings the cache up to date with the store like
    /// ``transaction(source:handoffs:_:)``, unless a write of this process is
    /// on its way to the cache (``pendingWrites``): then it does nothing,
    /// and that write's own refresh brings in every commit. For background
    /// checks, which only look for other processes' commits.
    func refreshUnlessWriting(source: some CacheSource) throws {
        try refreshing.withLock {
            guard pendingWrites.load(ordering: .acquiring) == 0 else { return }
            try source.reading { try refresh(source: source, handoffs: []) }
        }
    }

    /// Swaps in new contents.
    private func install(_ contents: Contents) {
        state.withLock { $0 = contents }
    }

    /// The rows of the runs of one view version committed together by
    /// this process (one run, or a group commit's), handed over by the
    /// write path so that the cache need not read them back.
    struct Handoff {
        /// The runs, ascending.
        let runs: [Int64]
        /// The view version written.
        let viewID: Int64
        /// The join key columns, in primary-key order (keys, event time,
        /// created time, run).
        let keys: [Column]
        /// Event and created time and run of each row.
        let eventTimes: [Int64], createdTimes: [Int64], runIDs: [Int64]
        /// One column per feature of the view.
        let features: [Column]
    }

    /// Reads new runs, drops snapshots of view versions that are gone, and
    /// merges the delta of each cached view that has new runs — from its
    /// hand-off when that holds every new run of the view.
    private func refresh(source: some CacheSource, handoffs: [Handoff]) throws {
        let current = contents
        var runs = current.runs
        var snapshots = current.snapshots, refused = current.refused
        var changed = false

        // View versions dropped, or dropped and created again.
        let live = try source.viewVersions()
        for (id, snapshot) in snapshots where live[id] != snapshot.base.viewCreatedAt {
            snapshots[id] = nil
            refused = [:] // memory was freed: what did not fit may fit now
            changed = true
        }
        for (id, createdAt) in refused where live[id] != createdAt {
            refused[id] = nil
            changed = true
        }

        let maxID = try source.lastRunID()
        if maxID < runs.maxID {
            // Runs were removed (a store rebuilt under us): start again.
            runs = RunTable()
            snapshots = [:]
            refused = [:]
            changed = true
        }
        if maxID > runs.maxID {
            let previous = runs.maxID
            var ids: [Int64] = [], commits: [Int64] = []
            var touched: [String: [Int64]] = [:]
            for run in try source.runs(after: previous) {
                ids.append(run.id)
                commits.append(run.committedAt)
                touched["\(run.view)@\(run.version)", default: []].append(run.id)
            }
            runs = runs.appending(ids: ids, committedAt: commits)
            for (id, cached) in snapshots {
                guard let newRuns = touched[cached.view.qualifiedName] else { continue }
                let room = budget - snapshots.reduce(0) { $0 + ($1.key == id ? 0 : $1.value.byteCount) }
                var rows: SnapshotImage?
                if let handoff = handoffs.first(where: { $0.viewID == id }), newRuns == handoff.runs {
                    var builder = SnapshotBuilder(view: cached.view, capacity: handoff.eventTimes.count)
                    builder.appendRuns(handoff.runIDs, keys: handoff.keys, eventTimes: handoff.eventTimes,
                                       createdTimes: handoff.createdTimes, features: handoff.features)
                    rows = builder.finish(lastRun: runs.maxID, lastRunCommittedAt: runs.lastCommittedAt)
                }
                if let updated = try absorb(cached, runs: runs, source: source, byteLimit: room, rows: rows) {
                    snapshots[id] = updated
                } else {
                    snapshots[id] = nil
                    refused[id] = cached.view.createdAt.microseconds
                }
            }
            changed = true
        }
        if changed { install(Contents(runs: runs, snapshots: snapshots, refused: refused)) }
    }

    // MARK: Snapshots

    /// The rows of `view` up to the last run of `runs`: its newest snapshot
    /// file with the rows of later runs as a delta, or (no usable file) all
    /// rows read from the store, written to a new snapshot file.
    ///
    /// - Returns: `nil` when they do not fit in `byteLimit` bytes.
    private func load(_ view: FeatureView, runs: RunTable, source: some CacheSource, byteLimit: Int) throws -> CachedView? {
        if let base = files?.open(view, runs: runs) {
            guard base.byteCount <= byteLimit else { return nil }
            return try absorb(CachedView(base: base), runs: runs, source: source, byteLimit: byteLimit)
        }
        guard let image = try ViewSnapshot.load(view, from: source, afterRun: nil, lastRun: runs.maxID,
                                                lastRunCommittedAt: runs.lastCommittedAt, byteLimit: byteLimit) else { return nil }
        rowsLoaded.add(image.rowCount, ordering: .relaxed)
        return CachedView(base: place(image))
    }

    /// `cached` brought up to the last run of `runs`: the rows of its view
    /// in runs after its last one — `rows` when the caller has them, read
    /// from the store otherwise — merged into its delta (no read at all when
    /// no such run is of this view), compacted into a new base when the
    /// delta is large.
    ///
    /// - Returns: `nil` when the result does not fit in `byteLimit` bytes.
    private func absorb(_ cached: CachedView, runs: RunTable, source: some CacheSource, byteLimit: Int,
                        rows: SnapshotImage? = nil) throws -> CachedView? {
        let view = cached.view
        guard runs.maxID > cached.lastRun else { return cached }
        if let rows { return merge(rows, into: cached, byteLimit: byteLimit) }
        guard try source.hasRuns(of: view, after: cached.lastRun, upTo: runs.maxID) else { return cached }
        guard let image = try ViewSnapshot.load(view, from: source, afterRun: cached.lastRun, lastRun: runs.maxID,
                                                lastRunCommittedAt: runs.lastCommittedAt,
                                                byteLimit: byteLimit - cached.byteCount) else { return nil }
        rowsLoaded.add(image.rowCount, ordering: .relaxed)
        return merge(image, into: cached, byteLimit: byteLimit)
    }

    /// `cached` with the rows of `image` (of runs after its last one) merged
    /// into its delta, compacted into a new base when the delta is large.
    private func merge(_ image: SnapshotImage, into cached: CachedView, byteLimit: Int) -> CachedView? {
        let fresh = image.inMemory()
        let delta = cached.delta.map { $0.merging(fresh).inMemory() } ?? fresh
        guard cached.base.rowCount + delta.rowCount <= ViewSnapshot.maxRows else { return nil }
        let result = CachedView(base: cached.base, delta: delta)
        if delta.rowCount > max(compactionRows, cached.base.rowCount / 8) {
            if result.rowCount >= backgroundRows {
                compactInBackground(result)
            } else {
                let merged = cached.base.merging(delta)
                guard merged.byteCount <= byteLimit else { return nil }
                return CachedView(base: place(merged))
            }
        }
        return result.byteCount <= byteLimit ? result : nil
    }

    /// Folds `cached`'s delta into a new base snapshot on a thread of its
    /// own (one per view version at a time), then swaps it in — keeping, as
    /// the new delta, the rows of runs that came in meanwhile. Queries go on
    /// with base and delta until then.
    private func compactInBackground(_ cached: CachedView) {
        let id = cached.base.viewID
        guard let delta = cached.delta, compacting.withLock({ $0.insert(id).inserted }) else { return }
        let thread = Thread { [self] in
            let base = place(cached.base.merging(delta))
            refreshing.withLock {
                defer { _ = compacting.withLock { $0.remove(id) } }
                let contents = self.contents
                guard let current = contents.snapshots[id], current.base === cached.base, let now = current.delta else { return }
                var snapshots = contents.snapshots
                snapshots[id] = CachedView(base: base, delta: now === delta ? nil : now.rows(after: delta.lastRun)?.inMemory())
                install(Contents(runs: contents.runs, snapshots: snapshots, refused: contents.refused))
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Whether a compaction is running in the background.
    var isCompacting: Bool { compacting.withLock { !$0.isEmpty } }

    /// `image` as a mapped snapshot file, or in memory when it cannot be written.
    private func place(_ image: SnapshotImage) -> ViewSnapshot {
        files?.write(image) ?? image.inMemory()
    }
}
