import CLarderSQLite

/// One SQLite connection, set up the way Larder needs it: WAL journal
/// (checked), `synchronous = NORMAL`, a busy timeout and foreign keys on.
///
/// A connection is not thread-safe: hold it in one place (``FeatureStore``
/// keeps its connections behind a mutex) and use it from one thread at a time.
/// See <https://www.sqlite.org/c3ref/open.html> and <https://www.sqlite.org/wal.html>.
package final class Connection {
    let handle: OpaquePointer
    /// The path of the database file.
    package let path: String
    private var cache: [String: Statement] = [:]
    /// The page cache size last set by ``setCacheSize(kibibytes:)``.
    private(set) var cacheKiB = 0

    /// How a connection may use its database.
    package enum Access: Sendable {
        /// Read and write, creating the file if needed; a write-protected file
        /// is opened for reading (writes then fail with `SQLITE_READONLY`).
        case readWrite
        /// Read only: nothing about the file is changed.
        case readOnly
        /// Read only, without taking locks or making the WAL's `-shm` file:
        /// for a store in a folder that cannot be written, which then cannot
        /// change while it is read. See <https://www.sqlite.org/uri.html#uriimmutable>.
        case immutable
    }

    /// Opens the database at `path`.
    ///
    /// - Parameters:
    ///   - busyTimeoutMilliseconds: how long a statement waits for another
    ///     process's lock before failing with `SQLITE_BUSY`.
    ///   - access: read and write (the default), read only, or immutable.
    package init(path: String, busyTimeoutMilliseconds: Int32 = 10_000, access: Access = .readWrite) throws(SQLiteError) {
        var db: OpaquePointer?
        let rc = switch access {
        case .readWrite: sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        case .readOnly: sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil)
        case .immutable:
            sqlite3_open_v2("file:" + Self.uriEscaped(path) + "?immutable=1", &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nil)
        }
        guard rc == SQLITE_OK, let db else {
            let error = SQLiteError(code: rc, connection: db, sql: nil)
            sqlite3_close_v2(db)
            throw error
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        _ = clarder_sqlite3_enable_defensive(db)
        try setUp()
    }

    deinit {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The page cache of an ordinary connection: 64 MiB.
    package static let defaultCacheKiB = 65_536

    /// `path` as a URI filename: `%`, `?`, `#` and non-ASCII bytes percent-encoded.
    private static func uriEscaped(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            if byte >= 0x80 || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#") {
                out += "%" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            } else {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// Whether the connection can only read (a write-protected file, or an
    /// immutable open).
    package var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    private func setUp() throws(SQLiteError) {
        // A read-only store is read as it is: its journal mode cannot be set.
        if !isReadOnly {
            // 16 KiB pages (only takes effect when the file is new): fewer, fuller
            // B-tree pages make bulk inserts ~15 % faster than the 4 KiB default.
            try execute("PRAGMA page_size = 16384")
            let mode = try queryText("PRAGMA journal_mode = WAL")
            guard mode.lowercased() == "wal" else {
                throw SQLiteError(code: SQLITE_ERROR, message: "could not switch \(path) to WAL mode (journal_mode is \(mode))", sql: "PRAGMA journal_mode = WAL")
            }
        }
        // Debian's SQLite defaults to FULL and does not remember NORMAL: set it on every connection.
        try execute("PRAGMA synchronous = NORMAL")
        try execute("PRAGMA foreign_keys = ON")
        try setCacheSize(kibibytes: Self.defaultCacheKiB)
    }

    /// Sets the most memory SQLite's page cache may use (nothing to do
    /// when that is already the size).
    /// See <https://www.sqlite.org/pragma.html#pragma_cache_size>.
    package func setCacheSize(kibibytes: Int) throws(SQLiteError) {
        guard kibibytes != cacheKiB else { return }
        try execute("PRAGMA cache_size = -\(kibibytes)")
        cacheKiB = kibibytes
    }

    /// Runs one or more SQL statements that take no parameters.
    /// See <https://www.sqlite.org/c3ref/exec.html>.
    package func execute(_ sql: String) throws(SQLiteError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// The cached prepared statement for `sql`, prepared on first use.
    /// The statement is reset and its bindings cleared before it is returned.
    package func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try Statement(connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Drops every cached statement (needed before dropping tables they use).
    package func clearStatementCache() {
        cache.removeAll()
    }

    /// The first column of the first row of `sql` as text ("" when no row).
    package func queryText(_ sql: String) throws(SQLiteError) -> String {
        let statement = try statement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.text(0) : ""
    }

    /// The first column of the first row of `sql` as an integer (0 when no row).
    package func queryInt(_ sql: String) throws(SQLiteError) -> Int64 {
        let statement = try statement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.int64(0) : 0
    }

    /// Whether the database has a table named `name`.
    package func hasTable(_ name: String) throws(SQLiteError) -> Bool {
        let statement = try statement("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")
        defer { statement.reset() }
        statement.bind(name, at: 1)
        return try statement.step() && statement.int64(0) == 1
    }

    /// The rowid of the last inserted row.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The number of rows the last statement inserted, updated or deleted.
    package var changes: Int { Int(sqlite3_changes(handle)) }

    /// Whether the connection is inside a transaction.
    package var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// How a transaction takes its locks.
    /// See <https://www.sqlite.org/lang_transaction.html>.
    package enum TransactionKind: Sendable {
        /// A read transaction until its first write (`BEGIN`): a consistent
        /// snapshot for readers.
        case deferred
        /// The write lock at once (`BEGIN IMMEDIATE`): for writers, so that
        /// planning and writing see the same state.
        case immediate
    }

    /// The one transaction helper: runs `body` inside a transaction of
    /// `kind` and commits or rolls back as the body decides; an error thrown
    /// by `body` (or by the commit) rolls the transaction back and is
    /// rethrown.
    package func transaction<R>(_ kind: TransactionKind, deciding body: () throws -> TransactionEnd<R>) throws -> R {
        try execute(kind == .immediate ? "BEGIN IMMEDIATE" : "BEGIN")
        do {
            switch try body() {
            case .commit(let result):
                try execute("COMMIT")
                return result
            case .rollback(let result):
                try execute("ROLLBACK")
                return result
            }
        } catch {
            if isInTransaction { try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Runs `body` inside a transaction of `kind` (`BEGIN IMMEDIATE` by
    /// default) and commits; an error rolls it back and is rethrown.
    package func transaction<R>(_ kind: TransactionKind = .immediate, _ body: () throws -> R) throws -> R {
        try transaction(kind, deciding: { .commit(try body()) })
    }
}
