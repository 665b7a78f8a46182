#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The columnar cache: one immutable ``ViewSnapshot`` per cached view
/// version, and the ``RunTable`` their rows are checked against.
///
/// **Reading.** ``contents`` hands out the current ``Contents`` (one retain
/// under a mutex); a reader then works on immutable data with no lock held
/// and never waits for a load.
///
/// **Writing.** Everything that reads SQLite — loading a view, refreshing —
/// runs on the store's connection, so only while the store's mutex is held:
/// one refresh at a time. A refresh builds new snapshots beside the old ones
/// and swaps the whole ``Contents`` in one assignment.
///
/// **Refresh.** ``transaction(db:_:)`` starts with a check of `SELECT max(id) FROM
/// runs` (a commit by any connection adds a run) and of the view versions
/// (a drop or re-creation). New runs are read into the run table; each
/// cached view with a new run loads only the rows of runs after the last one
/// it had (`__run_id > last`, a delta) and merges them into a new snapshot.
/// Queries check on every call; prepared readers check at most every
/// ``checkInterval`` microseconds; the write path refreshes right after its
/// commit, so the next query in the process sees the write.
///
/// **Budget.** View versions are cached first come, first served while their
/// snapshots fit in ``budget`` bytes; a version that does not fit (or that a
/// delta makes too big) is answered from SQLite instead, and is tried again
/// when memory is freed.
final class FeatureCache: Sendable {
    /// What the cache holds at one moment. Immutable: a change makes a new one.
    final class Contents: Sendable {
        /// Every run committed when the contents were read.
        let runs: RunTable
        /// Cached views by view version id.
        let snapshots: [Int64: ViewSnapshot]
        /// View versions (id → `created_at`) that did not fit in the budget.
        let refused: [Int64: Int64]

        init(runs: RunTable, snapshots: [Int64: ViewSnapshot], refused: [Int64: Int64]) {
            self.runs = runs
            self.snapshots = snapshots
            self.refused = refused
        }

        /// Whether the view version `id` created at `createdAt` is answered
        /// from SQLite because it did not fit.
        func refuses(id: Int64, createdAt: Int64) -> Bool { refused[id] == createdAt }

        /// The snapshot of `view`, when it is cached.
        func snapshot(of view: FeatureView) -> ViewSnapshot? {
            snapshot(id: view.id, createdAt: view.createdAt.microseconds)
        }

        /// The snapshot of the view version `id` created at `createdAt`, when
        /// it is cached.
        @inline(__always) func snapshot(id: Int64, createdAt: Int64) -> ViewSnapshot? {
            guard let snapshot = snapshots[id], snapshot.holds(id: id, createdAt: createdAt) else { return nil }
            return snapshot
        }
    }

    /// The memory the snapshots may hold, in bytes; 0 caches nothing.
    let budget: Int
    private let state: Mutex<Contents>
    /// When prepared readers last checked for other processes' commits (µs,
    /// wall clock), so that they check at most every ``checkInterval``.
    private let lastCheck = Atomic<Int64>(0)
    /// How often prepared readers look for other processes' commits (µs).
    static let checkInterval: Int64 = 250_000

    /// An empty cache allowed `budget` bytes.
    init(budget: Int) {
        self.budget = max(0, budget)
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

    /// Work on the cache with the store's connection, which the caller holds
    /// exclusively, inside one read transaction: the refresh, the loads and
    /// any SQLite answers read the same state of the store.
    struct Transaction {
        let cache: FeatureCache
        let db: Connection

        /// The run table as of this transaction.
        var runs: RunTable { cache.contents.runs }

        /// The snapshot of `view`, loaded now if it is not cached and fits in
        /// the budget; `nil` when the view is answered from SQLite.
        func snapshot(of view: FeatureView) throws(SQLiteError) -> ViewSnapshot? {
            let contents = cache.contents
            if let snapshot = contents.snapshot(of: view) { return snapshot }
            if contents.refuses(id: view.id, createdAt: view.createdAt.microseconds) || cache.budget == 0 { return nil }
            var snapshots = contents.snapshots, refused = contents.refused
            snapshots[view.id] = nil
            let room = cache.budget - snapshots.values.reduce(0) { $0 + $1.byteCount }
            let loaded = try ViewSnapshot.load(view, db: db, afterRun: nil, byteLimit: room)
            if let loaded { snapshots[view.id] = loaded } else { refused[view.id] = view.createdAt.microseconds }
            cache.install(Contents(runs: contents.runs, snapshots: snapshots, refused: refused))
            return loaded
        }
    }

    /// Brings the cache up to date with the store, then runs `body`, all in
    /// one read transaction on `db` (the store's connection, held by the
    /// caller). Inside a transaction the caller already opened (not the
    /// way it is meant to be used: call it after a commit) it runs in that
    /// transaction.
    func transaction<R>(db: Connection, _ body: (Transaction) throws -> R) throws -> R {
        func work() throws -> R {
            try refresh(db: db)
            return try body(Transaction(cache: self, db: db))
        }
        return db.isInTransaction ? try work() : try db.transaction(.deferred, work)
    }

    /// Swaps in new contents.
    private func install(_ contents: Contents) {
        state.withLock { $0 = contents }
    }

    /// Reads new runs, drops snapshots of view versions that are gone, and
    /// merges the delta of each cached view that has new runs.
    private func refresh(db: Connection) throws(SQLiteError) {
        let current = contents
        var runs = current.runs
        var snapshots = current.snapshots, refused = current.refused
        var changed = false

        // View versions dropped, or dropped and created again.
        let versions = try db.statement("SELECT id, created_at FROM view_versions")
        defer { versions.reset() }
        var live: [Int64: Int64] = [:]
        while try versions.step() { live[versions.int64(0)] = versions.int64(1) }
        for (id, snapshot) in snapshots where live[id] != snapshot.viewCreatedAt {
            snapshots[id] = nil
            refused = [:] // memory was freed: what did not fit may fit now
            changed = true
        }
        for (id, createdAt) in refused where live[id] != createdAt {
            refused[id] = nil
            changed = true
        }

        let maxID = try db.queryInt("SELECT COALESCE(MAX(id), 0) FROM runs")
        if maxID < runs.maxID {
            // Runs were removed (a store rebuilt under us): start again.
            runs = RunTable()
            snapshots = [:]
            refused = [:]
            changed = true
        }
        if maxID > runs.maxID {
            let previous = runs.maxID
            let query = try db.statement("SELECT id, committed_at, view, version FROM runs WHERE id > ?1 ORDER BY id")
            defer { query.reset() }
            query.bind(previous, at: 1)
            var ids: [Int64] = [], commits: [Int64] = []
            var touched: Set<String> = []
            while try query.step() {
                ids.append(query.int64(0))
                commits.append(query.int64(1))
                touched.insert("\(query.text(2))@\(query.int64(3))")
            }
            runs = runs.appending(ids: ids, committedAt: commits)
            for (id, snapshot) in snapshots where touched.contains(snapshot.view.qualifiedName) {
                let room = budget - snapshots.reduce(0) { $0 + ($1.key == id ? 0 : $1.value.byteCount) }
                if let delta = try ViewSnapshot.load(snapshot.view, db: db, afterRun: previous, byteLimit: room - snapshot.byteCount),
                   snapshot.rowCount + delta.rowCount <= ViewSnapshot.maxRows {
                    let merged = snapshot.merging(delta)
                    if merged.byteCount <= room {
                        snapshots[id] = merged
                        continue
                    }
                }
                snapshots[id] = nil
                refused[id] = snapshot.view.createdAt.microseconds
            }
            changed = true
        }
        if changed { install(Contents(runs: runs, snapshots: snapshots, refused: refused)) }
    }
}
