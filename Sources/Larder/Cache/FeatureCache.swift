import class Foundation.Thread
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The columnar cache: one ``CachedView`` per cached view version (a base
/// snapshot, mapped from the cache folder when it can be, plus delta
/// segments of later runs), and the ``RunTable`` their rows are checked against.
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
/// it has (`__run_id > last`), or takes them from the write that committed
/// them, and appends them as a new delta segment — O(rows of the new
/// runs), whatever the size of the base and of the other segments. Queries
/// check on every call; prepared readers check at most every
/// ``checkInterval`` microseconds; the write path refreshes right after its
/// commit, so the next query in the process sees the write.
///
/// **Compaction.** Never in the path of a write or a read: when a view has
/// more than ``maxSegments`` segments, or its segments more rows than
/// ``compactionRows`` and an eighth of the base, a thread of its own (one
/// per view version at a time) merges the newest segments into one (sizes
/// kept roughly geometric, so a row is copied O(log n) times), or folds
/// every segment into a new base snapshot (a new file), then swaps the
/// result in under the refresh lock, keeping the segments that came in
/// meanwhile. Readers go on with the parts they hold; answers are the same
/// before and after.
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
    /// Delta segments with more rows than this (and than an eighth of their
    /// base) are folded into a new base snapshot.
    let compactionRows: Int
    /// The usual ``compactionRows``.
    static let defaultCompactionRows = 65_536
    /// A view version with more delta segments than this has its newest
    /// segments merged into one.
    let maxSegments: Int
    /// The usual ``maxSegments``: each segment costs a read one more hash
    /// probe (of a small table).
    static let defaultMaxSegments = 4
    /// The most rows a one-shot read (``Transaction/snapshot(of:oneShot:)``)
    /// reads from the store to cache a view: all of them when it has no
    /// snapshot file, those of the runs after it otherwise.
    let oneShotLoadRows: Int
    /// The usual ``oneShotLoadRows``: about 0.3 s of reading (1.2 µs a row).
    static let defaultOneShotLoadRows = 262_144
    /// Compactions done so far that folded segments into a new base, and
    /// that merged segments: what tests check to see that a write left
    /// compaction to the background.
    let folds = Atomic<Int>(0), merges = Atomic<Int>(0)
    /// Checks for other processes' commits started in the background so
    /// far: what tests check to see when reads start one.
    let backgroundChecks = Atomic<Int>(0)
    /// While true, compactions wait before they start (tests only: to see
    /// a write's segment before any compaction runs).
    let compactionPaused = Atomic<Bool>(false)
    /// View versions (ids) with a compaction running in the background.
    private let compacting = Mutex<Set<Int64>>([])
    /// View versions (ids) a one-shot read has left to the store, so far:
    /// said once, not at every read.
    private let leftToTheStore = Mutex<Set<Int64>>([])
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
         maxSegments: Int = FeatureCache.defaultMaxSegments, oneShotLoadRows: Int = FeatureCache.defaultOneShotLoadRows) {
        self.budget = max(0, budget)
        self.files = files
        self.compactionRows = compactionRows
        self.oneShotLoadRows = oneShotLoadRows
        self.maxSegments = max(1, maxSegments)
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
        ///
        /// A read of a few keys that will not come again (`oneShot`: a
        /// `larder online` process) reads from the store at most
        /// ``FeatureCache/oneShotLoadRows`` rows to cache a view: the rows of
        /// the runs its snapshot file lacks, or all of them when it has none.
        /// Past that the view is answered from SQLite this time (a
        /// millisecond, where reading 10M rows takes seconds and gigabytes)
        /// and stays uncached.
        func snapshot(of view: FeatureView, oneShot: Bool = false) throws -> CachedView? {
            let contents = cache.contents
            if let cached = contents.snapshot(of: view) { return cached }
            if contents.refuses(id: view.id, createdAt: view.createdAt.microseconds) || cache.budget == 0 { return nil }
            var snapshots = contents.snapshots, refused = contents.refused
            snapshots[view.id] = nil
            let room = cache.budget - snapshots.values.reduce(0) { $0 + $1.byteCount }
            let loaded: CachedView?
            switch try cache.load(view, runs: contents.runs, source: source, byteLimit: room,
                                  readLimit: oneShot ? cache.oneShotLoadRows : nil) {
            case .cached(let view): loaded = view
            case .tooLarge: loaded = nil
            case .leftToTheStore(let rows, let behind):
                if cache.leftToTheStore.withLock({ $0.insert(view.id).inserted }) {
                    let reason = behind ? "its snapshot file lacks the \(rows) rows of later runs" : "no snapshot file, and its runs wrote \(rows) rows"
                    cache.files?.log?("\(view.qualifiedName) answered from the store: \(reason) (`larder cache build` writes one)")
                }
                return nil
            }
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

    /// ``transaction(source:handoffs:_:)``, if no other is under way;
    /// otherwise nil, at once. For a one-shot read, which the store can
    /// answer itself rather than wait while a large view loads (seconds).
    func transactionIfFree<R>(source: some CacheSource, _ body: (Transaction) throws -> R) throws -> R? {
        try refreshing.withLockIfAvailable {
            try source.reading {
                try refresh(source: source, handoffs: [])
                return try body(Transaction(cache: self, source: source))
            }
        }
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

    /// Swaps in new contents, and starts a compaction for each view
    /// version that needs one.
    private func install(_ contents: Contents) {
        state.withLock { $0 = contents }
        for (id, cached) in contents.snapshots where compaction(of: cached) != nil { compactInBackground(id) }
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
    /// appends a delta segment to each cached view that has new runs — from
    /// its hand-off when that holds every new run of the view.
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

    /// What ``load(_:runs:source:byteLimit:readLimit:)`` did.
    private enum Load {
        /// The view's rows, cached.
        case cached(CachedView)
        /// They do not fit in the budget.
        case tooLarge
        /// More rows to read than the read limit (this many, by the runs'
        /// counts): all of them (no snapshot file), or those of the runs
        /// after the file (`behind`). Nothing was read.
        case leftToTheStore(rows: Int, behind: Bool)
    }

    /// The rows of `view` up to the last run of `runs`: its newest snapshot
    /// file with the rows of later runs as a delta, or (no usable file) all
    /// rows read from the store, written to a new snapshot file — unless
    /// the runs to read (``CacheSource/rowsWritten(upTo:after:)``) wrote
    /// more than `readLimit` rows.
    private func load(_ view: FeatureView, runs: RunTable, source: some CacheSource, byteLimit: Int, readLimit: Int?) throws -> Load {
        if let base = files?.open(view, runs: runs) {
            if let readLimit, runs.maxID > base.lastRun {
                let rows = try source.rowsWritten(upTo: view, after: base.lastRun)
                if rows > readLimit { return .leftToTheStore(rows: rows, behind: true) }
            }
            guard base.byteCount <= byteLimit,
                  let cached = try absorb(CachedView(base: base), runs: runs, source: source, byteLimit: byteLimit) else { return .tooLarge }
            return .cached(cached)
        }
        if let readLimit {
            let rows = try source.rowsWritten(upTo: view, after: 0)
            if rows > readLimit { return .leftToTheStore(rows: rows, behind: false) }
        }
        guard let image = try ViewSnapshot.load(view, from: source, afterRun: nil, lastRun: runs.maxID,
                                                lastRunCommittedAt: runs.lastCommittedAt, byteLimit: byteLimit) else { return .tooLarge }
        rowsLoaded.add(image.rowCount, ordering: .relaxed)
        return .cached(CachedView(base: place(image)))
    }

    /// `cached` brought up to the last run of `runs`: the rows of its view
    /// in runs after its last one — `rows` when the caller has them, read
    /// from the store otherwise — appended as a new delta segment (no read
    /// at all when no such run is of this view).
    ///
    /// - Returns: `nil` when the result does not fit in `byteLimit` bytes.
    /// - Complexity: O(rows of the new runs + segments).
    private func absorb(_ cached: CachedView, runs: RunTable, source: some CacheSource, byteLimit: Int,
                        rows: SnapshotImage? = nil) throws -> CachedView? {
        let view = cached.view
        guard runs.maxID > cached.lastRun else { return cached }
        if let rows { return append(rows, to: cached, byteLimit: byteLimit) }
        guard try source.hasRuns(of: view, after: cached.lastRun, upTo: runs.maxID) else { return cached }
        guard let image = try ViewSnapshot.load(view, from: source, afterRun: cached.lastRun, lastRun: runs.maxID,
                                                lastRunCommittedAt: runs.lastCommittedAt,
                                                byteLimit: byteLimit - cached.byteCount) else { return nil }
        rowsLoaded.add(image.rowCount, ordering: .relaxed)
        return append(image, to: cached, byteLimit: byteLimit)
    }

    /// `cached` with the rows of `image` (of runs after its last one) as a
    /// new delta segment; `nil` when the result does not fit in `byteLimit`
    /// bytes or ``ViewSnapshot/maxRows`` rows.
    private func append(_ image: SnapshotImage, to cached: CachedView, byteLimit: Int) -> CachedView? {
        guard cached.rowCount + image.rowCount <= ViewSnapshot.maxRows else { return nil }
        let result = CachedView(base: cached.base, deltas: cached.deltas + [image.inMemory()])
        return result.byteCount <= byteLimit ? result : nil
    }

    // MARK: Compaction (in the background)

    /// What a compaction of a view version does: fold its first `end`
    /// segments into a new base, or merge segments `range` into one.
    private enum Compaction {
        case fold(end: Int)
        case merge(Range<Int>)
    }

    /// The compaction `cached` needs now, if any: a fold when its segments
    /// hold more than ``compactionRows`` rows and an eighth of the base;
    /// with more than ``maxSegments`` segments, a merge of the newest ones
    /// — from the oldest segment that holds no more rows than all those
    /// after it, and at least the last two — so that segment sizes grow
    /// geometrically from newest to oldest.
    private func compaction(of cached: CachedView) -> Compaction? {
        let deltas = cached.deltas
        if cached.deltaRows > max(compactionRows, cached.base.rowCount / 8) { return .fold(end: deltas.count) }
        guard deltas.count > maxSegments else { return nil }
        var start = deltas.count - 2, newer = deltas[start].rowCount + deltas[start + 1].rowCount
        while start > 0, deltas[start - 1].rowCount <= newer {
            start -= 1
            newer += deltas[start].rowCount
        }
        return .merge(start..<deltas.count)
    }

    /// Runs the compactions view version `id` needs, one after the other,
    /// on a thread of its own, unless one already runs for it. Each builds
    /// its result with no lock held, then swaps it in under the refresh
    /// lock if the view still has the base and segments it started from
    /// (it keeps the segments that came in meanwhile).
    private func compactInBackground(_ id: Int64) {
        guard compacting.withLock({ $0.insert(id).inserted }) else { return }
        let thread = Thread { [self] in
            while compactionPaused.load(ordering: .acquiring) { usleep(1_000) }
            while let cached = contents.snapshots[id], let step = compaction(of: cached), compact(cached, step) {}
            _ = compacting.withLock { $0.remove(id) }
            // A segment appended after the last check above found this view busy: look again.
            if let cached = contents.snapshots[id], compaction(of: cached) != nil { compactInBackground(id) }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Does `step` on `cached` and swaps the result in.
    ///
    /// - Returns: whether it was swapped in (not when the view was dropped,
    ///   refused or reloaded meanwhile).
    private func compact(_ cached: CachedView, _ step: Compaction) -> Bool {
        let id = cached.base.viewID
        let done: [ViewSnapshot]
        var base = cached.base, merged: ViewSnapshot?
        switch step {
        case .fold(let end):
            done = Array(cached.deltas[..<end])
            base = place(cached.base.merging(done.count == 1 ? done[0] : ViewSnapshot.merged(done).inMemory()))
        case .merge(let range):
            done = Array(cached.deltas[range])
            merged = ViewSnapshot.merged(done).inMemory()
        }
        return refreshing.withLock {
            let contents = self.contents
            guard let current = contents.snapshots[id], current.base === cached.base else { return false }
            // The segments done are where they were; later ones may have been appended.
            guard let first = current.deltas.firstIndex(where: { $0 === done[0] }), current.deltas.count >= first + done.count,
                  zip(current.deltas[first...], done).allSatisfy({ $0 === $1 }) else { return false }
            var deltas = current.deltas
            deltas.replaceSubrange(first..<(first + done.count), with: merged.map { [$0] } ?? [])
            var snapshots = contents.snapshots
            snapshots[id] = CachedView(base: base, deltas: deltas)
            if merged == nil { folds.add(1, ordering: .relaxed) } else { merges.add(1, ordering: .relaxed) }
            install(Contents(runs: contents.runs, snapshots: snapshots, refused: contents.refused))
            return true
        }
    }

    /// Whether a compaction is running in the background.
    var isCompacting: Bool { compacting.withLock { !$0.isEmpty } }

    /// `image` as a mapped snapshot file, or in memory when it cannot be written.
    private func place(_ image: SnapshotImage) -> ViewSnapshot {
        files?.write(image) ?? image.inMemory()
    }
}
