import Synchronization

/// The façade users hold: one store, its registry, its writes and its
/// queries. `FeatureStore` is `Sendable`: it has one write session on the
/// storage engine, used under a mutex, and a pool of read sessions, each
/// used by one thread at a time, so reads never wait for a write in progress.
public final class FeatureStore: Sendable {
    /// Options for opening a store.
    public struct Options: Sendable {
        /// Create the file if it does not exist (otherwise a missing file is an error).
        public var create: Bool
        /// How long to wait for another process's write lock, in milliseconds.
        public var busyTimeoutMilliseconds: Int32
        /// The memory the columnar cache may use, in bytes: views are cached
        /// while they fit, the others are answered from SQLite. `nil` means a
        /// quarter of physical memory; 0 caches nothing.
        public var cacheBytes: Int?
        /// Commit with `synchronous = FULL`: a committed run survives a power
        /// loss or an operating-system crash, at the cost of an `fsync` of the
        /// WAL on every commit. The default (`NORMAL`) survives a crash of the
        /// process; after a power loss the last commits may roll back, never
        /// partly. See <https://www.sqlite.org/pragma.html#pragma_synchronous>.
        public var durable: Bool
        /// Keep the cache's snapshots as files in the folder `PATH.cache`
        /// beside the store, mapped by every process that opens it, so that
        /// a view is read from the store once, not once per process. Off,
        /// each process holds its own copy in memory.
        public var snapshotFiles: Bool
        /// Where Larder says what it does that a user may want to know
        /// (snapshot files written, passed over or kept in memory): the
        /// CLI's `--verbose`. `nil` says nothing.
        public var log: (@Sendable (String) -> Void)?
        /// Rows a cached view's delta segments may reach before they are
        /// folded into a new base snapshot (see ``FeatureCache``); tests set it low.
        var compactionRows = FeatureCache.defaultCompactionRows
        /// Delta segments a cached view may have before its newest are
        /// merged (see ``FeatureCache``); tests set it low.
        var deltaSegments = FeatureCache.defaultMaxSegments
        /// The most rows a one-shot online read (``FeatureStore/onlineFeatures(entities:features:fullNames:asOf:)``)
        /// reads from the store to cache a view (see
        /// ``FeatureCache/Transaction/snapshot(of:oneShot:)``); tests set it low.
        var oneShotLoadRows = FeatureCache.defaultOneShotLoadRows

        /// Defaults: create the file, wait up to 10 s for locks, cache up to a
        /// quarter of physical memory in snapshot files, `synchronous = NORMAL`.
        public init(create: Bool = true, busyTimeoutMilliseconds: Int32 = 10_000, cacheBytes: Int? = nil, durable: Bool = false,
                    snapshotFiles: Bool = true, log: (@Sendable (String) -> Void)? = nil) {
            self.create = create
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.cacheBytes = cacheBytes
            self.durable = durable
            self.snapshotFiles = snapshotFiles
            self.log = log
        }
    }

    /// The path of the store file (for a server-based engine, its URL
    /// without the password).
    public let path: String
    /// Where the snapshot files are kept: the folder `PATH.cache` beside a
    /// SQLite store; a local folder for a server-based engine's store.
    public let snapshotFolder: String

    /// One session with its registry. `@unchecked Sendable`: a session is
    /// not thread-safe, and it is only ever used by one thread at a time
    /// (under the mutex, or taken from the pool).
    struct State: @unchecked Sendable {
        /// The session on the storage engine.
        let session: any StoreSession
        /// The registry as this session last loaded it.
        var registry: RegistrySnapshot
        /// The session's change counter when the registry was loaded (read
        /// before it: a commit between the two reads makes the registry newer
        /// than the counter, reloaded once more at the next check, never older).
        var changes: Int64

        /// `session` with its registry loaded.
        init(session: any StoreSession) throws {
            self.session = session
            changes = try session.changeCounter()
            registry = try session.loadRegistry()
        }
    }

    /// The storage engine under the store.
    let storage: any StorageEngine

    /// The write connection: every write (runs, definitions, drops) uses it,
    /// one at a time.
    let state: Mutex<State>
    /// The read connections: queries, listings and lookups use them, and do
    /// not wait for a write.
    let readers: ReaderPool
    /// The columnar cache the queries read (see FeatureStore+Query.swift).
    let cache: FeatureCache
    /// The engine's notice of other connections' commits, while the store
    /// is open (see ``StorageEngine/watchCommits(_:)``).
    private let commitWatch = Mutex<(any AnyObject & Sendable)?>(nil)
    /// Each run's statistics, decoded once (see FeatureStore+Statistics.swift).
    let runStatistics = RunStatisticsCache()
    /// Small writes waiting to share a transaction (see FeatureStore+GroupCommit.swift).
    let commits = CommitQueue()
    /// The registry as the write connection last saw it: where a small
    /// write finds its view before it waits for the lock, without a read
    /// connection (which reloads the registry after every commit of
    /// another connection, so after every write).
    let writerRegistry = Mutex<RegistrySnapshot?>(nil)

    /// Opens the store at `path`, applying any store migrations it lacks. A
    /// store that cannot be written (a write-protected file, or a folder that
    /// cannot be written) opens for reading; writes to it then fail.
    ///
    /// Throws ``LarderError/storeTooNew(path:storeVersion:supportedVersion:)``
    /// for a store written by a newer Larder, and ``LarderError/io(path:message:)``
    /// naming the path and the cause when it is no store: missing (unless
    /// `options.create`), a directory, an empty file (unless `options.create`),
    /// not a database, not a Larder store, or damaged.
    public convenience init(path: String, options: Options = Options()) throws(LarderError) {
        try self.init(engine: SQLiteStorage(path: path, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds, durable: options.durable),
                      location: path, snapshotFolder: path + ".cache", options: options)
    }

    /// Opens the store that `engine` reaches, at `location` (a path or a URL,
    /// for messages), keeping snapshot files in `snapshotFolder`: how another
    /// storage engine's module (LarderPostgres) opens a store.
    package init(engine storage: any StorageEngine, location path: String, snapshotFolder: String,
                 options: Options) throws(LarderError) {
        self.path = path
        self.snapshotFolder = snapshotFolder
        cache = FeatureCache(budget: options.cacheBytes ?? FeatureCache.defaultBudget,
                             files: options.snapshotFiles ? SnapshotFiles(folder: snapshotFolder, log: options.log) : nil,
                             compactionRows: options.compactionRows, maxSegments: options.deltaSegments,
                             oneShotLoadRows: options.oneShotLoadRows)
        self.storage = storage
        do {
            let writer = try storage.openWriter(create: options.create)
            try writer.migrate()
            state = Mutex(try State(session: writer))
            readers = ReaderPool(limit: FeatureStore.readConnections) { () throws(LarderError) -> State in
                do { return try State(session: try storage.openReader()) } catch { throw LarderError(error, store: path) }
            }
        } catch {
            throw LarderError(error, store: path)
        }
        // Another connection's commit brings the cache up to date at once
        // (where the engine says so), not at the next read's periodic check;
        // the engine calls on a thread of its own, so the check runs there.
        let watch = storage.watchCommits { [weak self] in self?.refreshCacheIfReaderFree() }
        commitWatch.withLock { $0 = watch }
    }

    /// The most read connections a store opens.
    static let readConnections = 4

    /// Runs `body` with the write connection (one writer at a time), after
    /// reloading the registry if another connection changed the store;
    /// then wakes a small write waiting to commit (``CommitQueue/wakeOldest()``).
    func withState<R>(_ body: (inout State) throws -> R) throws(LarderError) -> R {
        defer { commits.wakeOldest() }
        do {
            return try state.withLock { state in try withRegistry(&state, body) }
        } catch {
            throw LarderError(error, store: path)
        }
    }

    /// ``withState(_:)`` when no other writer holds the write connection;
    /// nil, at once, when one does.
    func withStateIfAvailable<R>(_ body: (inout State) throws -> R) throws(LarderError) -> R? {
        do {
            guard let result = try state.withLockIfAvailable({ state in try withRegistry(&state, body) }) else { return nil }
            commits.wakeOldest()
            return result
        } catch {
            commits.wakeOldest()
            throw LarderError(error, store: path)
        }
    }

    /// `body` on the write connection's state, after reloading the registry
    /// if another connection changed the store; the registry is then kept
    /// as the one small writes find their views in (``writerRegistry``).
    private func withRegistry<R>(_ state: inout State, _ body: (inout State) throws -> R) throws -> sending R {
        try FeatureStore.refreshRegistry(&state)
        defer { writerRegistry.withLock { [registry = state.registry] in $0 = registry } }
        return try body(&state)
    }

    /// Runs `body` with a read connection of its own (see ``ReaderPool``),
    /// after reloading the registry if another connection changed the store.
    func withReader<R>(_ body: (inout State) throws -> R) throws(LarderError) -> R {
        do {
            return try readers.with { state in
                try FeatureStore.refreshRegistry(&state)
                return try body(&state)
            }
        } catch {
            throw LarderError(error, store: path)
        }
    }

    /// Reloads `state`'s registry when another connection changed the store.
    private static func refreshRegistry(_ state: inout State) throws {
        let changes = try state.session.changeCounter()
        if changes != state.changes {
            state.registry = try state.session.loadRegistry()
            state.changes = changes
        }
    }

    // MARK: Registry

    /// The registry as it is now.
    public var registry: RegistrySnapshot {
        get throws(LarderError) { try withReader { $0.registry } }
    }

    /// The schema version of the store (the number of the last migration applied).
    public func schemaVersion() throws(LarderError) -> Int {
        try withReader { try $0.session.schemaVersion() }
    }

    /// Applies definitions (semantics §2): creates what is new, updates
    /// metadata in place, creates version N+1 of a view whose schema changed
    /// (copying the previous version's rows when `carryData`), all in one
    /// transaction. With `dryRun` nothing is written.
    ///
    /// - Returns: what was (or would be) done to each object.
    @discardableResult
    public func apply(_ definitions: Definitions, carryData: Bool = false, dryRun: Bool = false) throws(LarderError) -> ApplyPlan {
        try withState { state in
            let session = state.session
            let plan = try session.writing {
                // Plan inside the write transaction so no other writer can interleave.
                let current = try session.loadRegistry()
                let (plan, target) = try Registry.plan(definitions, against: current)
                if dryRun || !plan.changesSomething { return plan }
                try Registry.execute(plan, target: target, current: current, carryData: carryData, storage: session)
                return plan
            }
            state.registry = try session.loadRegistry()
            return plan
        }
    }

    /// Removes version `version` of the view `view`: its table and registry rows.
    public func drop(view name: String, version: Int) throws(LarderError) {
        try withState { state in
            let session = state.session
            try session.writing {
                let registry = try session.loadRegistry()
                let view = try registry.view(name, version: version)
                try Registry.drop(view, snapshot: registry, storage: session)
            }
            state.registry = try session.loadRegistry()
        }
    }
}

extension LarderError {
    /// Wraps any error thrown inside Larder as a ``LarderError``; a storage
    /// engine's errors about the store itself name the store at `store` and
    /// say what to do (see ``EngineError``).
    init(_ error: any Error, store: String? = nil) {
        switch error {
        case let error as LarderError: self = error
        case let error as any EngineError: self = error.larderError(store: store)
        default: self = LarderError(.storage, "\(error)", path: store)
        }
    }
}
