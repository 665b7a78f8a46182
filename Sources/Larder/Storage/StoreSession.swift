/// One connection to a store through a storage engine: everything the
/// layers above ask of the engine, and nothing else. The façade holds one
/// for writes and a pool for reads (``FeatureStore``); each is used by one
/// thread at a time. SQLite's is ``SQLiteSession``.
package protocol StoreSession: AnyObject, RegistryStorage, RunStorage, StatisticsSource, LedgerStorage, CacheSource, RuleSource, ExportSource {
    /// The number of rows stored in `view`'s table.
    func rowCount(of view: FeatureView) throws -> Int
    /// The newest event time stored in `view`'s table; `nil` when it is empty.
    func newestEventTime(of view: FeatureView) throws -> Timestamp?
    /// The engine's own check of the store: `ok` when sound.
    func integrityCheck() throws -> String
}

/// A storage engine: opens sessions on one store and names the files that
/// outputs must never overwrite. SQLite's is ``SQLiteStorage``.
package protocol StorageEngine: Sendable {
    /// The store's files on disk (none for a server-based engine).
    var files: [String] { get }
    /// Opens the session that writes (creating the store when asked and
    /// migrating its schema).
    func openWriter(create: Bool) throws -> any StoreSession
    /// Opens one more session for reads.
    func openReader() throws -> any StoreSession
    /// Calls `onCommit`, on some other thread, soon after any connection
    /// commits a write to the store, for as long as the returned object is
    /// kept; `nil` when the engine sends no such notice (SQLite: the cache's
    /// periodic check finds other processes' commits). Never on a thread
    /// that closing a store waits for, nor one that must not block:
    /// `onCommit` reads the store, and may let go of the last reference to it.
    func watchCommits(_ onCommit: @escaping @Sendable () -> Void) -> (any AnyObject & Sendable)?
}

extension StorageEngine {
    /// No notice: the cache's periodic check finds other connections' commits.
    package func watchCommits(_ onCommit: @escaping @Sendable () -> Void) -> (any AnyObject & Sendable)? { nil }
}
