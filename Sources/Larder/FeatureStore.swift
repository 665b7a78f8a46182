import CLarderSQLite
import Synchronization

/// The façade users hold: one store file, its registry, its writes and its
/// queries. `FeatureStore` is `Sendable`: it has one write connection, used
/// under a mutex, and a pool of read connections, each used by one thread
/// at a time, so reads never wait for a write in progress.
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
        /// Rows a cached view's delta may reach before it is folded into a
        /// new base snapshot (see ``FeatureCache``); tests set it low.
        var compactionRows = FeatureCache.defaultCompactionRows
        /// Rows from which a compaction runs in the background; tests set it low.
        var backgroundCompactionRows = FeatureCache.defaultBackgroundRows

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

    /// The path of the store file.
    public let path: String

    /// Everything behind the mutex. `@unchecked Sendable`: the connection is
    /// not thread-safe, and it is only ever reached while the mutex is held.
    struct State: @unchecked Sendable {
        let db: Connection
        var registry: RegistrySnapshot
        /// `PRAGMA data_version` when the registry was last loaded.
        var dataVersion: Int64
    }

    /// The write connection: every write (runs, definitions, drops) uses it,
    /// one at a time.
    let state: Mutex<State>
    /// The read connections: queries, listings and lookups use them, and do
    /// not wait for a write.
    let readers: ReaderPool
    /// The columnar cache the queries read (see FeatureStore+Query.swift).
    let cache: FeatureCache

    /// Opens the store at `path`, applying any store migrations it lacks. A
    /// store that cannot be written (a write-protected file, or a folder that
    /// cannot be written) opens for reading; writes to it then fail.
    ///
    /// Throws ``LarderError/storeTooNew(path:storeVersion:supportedVersion:)``
    /// for a store written by a newer Larder, and ``LarderError/io(path:message:)``
    /// naming the path and the cause when it is no store: missing (unless
    /// `options.create`), a directory, an empty file (unless `options.create`),
    /// not a database, not a Larder store, or damaged.
    public init(path: String, options: Options = Options()) throws(LarderError) {
        self.path = path
        cache = FeatureCache(budget: options.cacheBytes ?? FeatureCache.defaultBudget,
                             files: options.snapshotFiles ? SnapshotFiles(storePath: path, log: options.log) : nil,
                             compactionRows: options.compactionRows, backgroundRows: options.backgroundCompactionRows)
        let db = try StoreFiles.open(path, create: options.create, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
        do {
            if options.durable { try db.execute("PRAGMA synchronous = FULL") }
            try StoreMigrator.migrate(db)
            let registry = try Registry.load(db)
            let dataVersion = try db.queryInt("PRAGMA data_version")
            state = Mutex(State(db: db, registry: registry, dataVersion: dataVersion))
        } catch {
            throw LarderError(error, store: path)
        }
        readers = ReaderPool(limit: FeatureStore.readConnections) { () throws(LarderError) -> State in
            let db = try StoreFiles.open(path, create: false, busyTimeoutMilliseconds: options.busyTimeoutMilliseconds)
            do {
                return State(db: db, registry: try Registry.load(db), dataVersion: try db.queryInt("PRAGMA data_version"))
            } catch {
                throw LarderError(error, store: path)
            }
        }
    }

    /// The most read connections a store opens.
    static let readConnections = 4

    /// Runs `body` with the write connection (one writer at a time), after
    /// reloading the registry if another connection changed the store.
    func withState<R>(_ body: (inout State) throws -> R) throws(LarderError) -> R {
        do {
            return try state.withLock { state in
                try FeatureStore.refreshRegistry(&state)
                return try body(&state)
            }
        } catch {
            throw LarderError(error, store: path)
        }
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
        let version = try state.db.queryInt("PRAGMA data_version")
        if version != state.dataVersion {
            state.registry = try Registry.load(state.db)
            state.dataVersion = version
        }
    }

    // MARK: Registry

    /// The registry as it is now.
    public var registry: RegistrySnapshot {
        get throws(LarderError) { try withReader { $0.registry } }
    }

    /// The schema version of the store (the number of the last migration applied).
    public func schemaVersion() throws(LarderError) -> Int {
        try withReader { Int(try $0.db.queryInt("SELECT COALESCE(MAX(version), 0) FROM larder_migrations")) }
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
            let plan = try state.db.transaction {
                // Plan inside the write transaction so no other writer can interleave.
                let current = try Registry.load(state.db)
                let (plan, target) = try Registry.plan(definitions, against: current)
                if dryRun || !plan.changesSomething { return plan }
                try Registry.execute(plan, target: target, current: current, carryData: carryData, db: state.db)
                return plan
            }
            state.registry = try Registry.load(state.db)
            return plan
        }
    }

    /// Removes version `version` of the view `view`: its table and registry rows.
    public func drop(view name: String, version: Int) throws(LarderError) {
        try withState { state in
            try state.db.transaction {
                let registry = try Registry.load(state.db)
                let view = try registry.view(name, version: version)
                try Registry.drop(view, snapshot: registry, db: state.db)
            }
            state.registry = try Registry.load(state.db)
        }
    }
}

extension LarderError {
    /// Wraps any error thrown inside Larder as a ``LarderError``; SQLite's
    /// errors about the store file itself (read-only, full disk, I/O,
    /// damage, a long-held write lock) name the store at `store` and say what
    /// to do.
    init(_ error: any Error, store: String? = nil) {
        switch error {
        case let error as LarderError: self = error
        case let error as SQLiteError:
            guard let store else {
                self = .store(error)
                return
            }
            switch error.primaryCode {
            case SQLITE_READONLY:
                self = .storage(path: store, message: "the store is read-only here (\(error.message)); reading works, writing needs write access to the file and its folder")
            case SQLITE_FULL:
                self = .storage(path: store, message: "the disk is full (\(error.message)); nothing of this write was kept")
            case SQLITE_IOERR:
                self = .storage(path: store, message: "cannot read or write the store (\(error.message)); nothing of this write was kept")
            case SQLITE_CORRUPT, SQLITE_NOTADB:
                self = .storage(path: store, message: "the store is damaged (\(error.message)); restore it from a copy")
            case SQLITE_BUSY:
                self = .storage(path: store, message: "another run is being written to this store and held it past the busy timeout; try again when it has committed")
            default:
                self = .store(error, path: store)
            }
        default: self = LarderError(.storage, "\(error)", path: store)
        }
    }
}
