import CLarderSQLite

/// The files of one store: the database and the companions SQLite keeps
/// beside it (<https://www.sqlite.org/tempfiles.html>).
enum StoreFiles {
    /// What SQLite appends to the database's path for its companion files.
    static let suffixes = ["-wal", "-shm", "-journal"]

    /// The store at `path` and its companion files, the database first.
    static func all(_ path: String) -> [String] {
        [path] + suffixes.map { path + $0 }
    }

    /// Opens the store at `path` and reads its header, so that a path that
    /// is no store fails here, with the path and the cause, rather than at
    /// the first query. A store in a folder that cannot be written (so SQLite
    /// cannot make its `-shm` file) and with no write-ahead log pending is
    /// opened immutable: it can be read, not written.
    ///
    /// - Parameter create: make a new store when there is no file, an empty
    ///   one, or an SQLite database with nothing in it; otherwise that is an
    ///   error. A database that holds anything but a Larder store is never
    ///   written, with or without `create`.
    /// - Throws: ``LarderError/usage(_:)`` for an empty path;
    ///   ``LarderError/io(path:message:)`` for a missing file (without
    ///   `create`), a directory, an empty file (without `create`), a file that
    ///   is not a database or not a Larder store, or one that cannot be read.
    static func open(_ path: String, create: Bool, busyTimeoutMilliseconds: Int32) throws(LarderError) -> Connection {
        if path.isEmpty { throw .invalidInput("the store path is empty") }
        if FilePath.isDirectory(path) { throw .storage(path: path, message: "is a directory, not a store file") }
        let exists = FileSystem.exists(path)
        if !create {
            guard exists else { throw .storage(path: path, message: "no store here (create one with `larder init --store \(path)`)") }
            if FileSystem.size(path) == 0 {
                throw .storage(path: path, message: "is an empty file, not a Larder store (remove it, or make a store with `larder init --store \(path)`)")
            }
        }
        let folder = FilePath.split(path).folder
        let immutableFallback = exists && !FileSystem.isWritable(folder) && !FileSystem.exists(path + "-wal")
        do {
            if exists && FileSystem.size(path) > 0 {
                // Look before changing anything: a database that is not a Larder store is left as it is,
                // and a new store is made only in a new file or a database that holds nothing yet.
                let probe = try openReading(path, access: .readOnly, busyTimeoutMilliseconds: busyTimeoutMilliseconds,
                                            immutableFallback: immutableFallback)
                if try !probe.hasTable("larder_migrations") {
                    guard create, try probe.queryInt("SELECT COUNT(*) FROM sqlite_schema") == 0 else {
                        throw LarderError.storage(path: path, message: "is an SQLite database, but not a Larder store (it has no larder_migrations table)"
                                                  + (create ? "; a store is made only in a new file or an empty database" : ""))
                    }
                }
            }
            return try openReading(path, access: .readWrite, busyTimeoutMilliseconds: busyTimeoutMilliseconds, immutableFallback: immutableFallback)
        } catch let error as SQLiteError {
            switch error.primaryCode {
            case SQLITE_NOTADB: throw .storage(path: path, message: "is not a Larder store (not an SQLite database)")
            case SQLITE_CORRUPT: throw .storage(path: path, message: "the store is damaged (\(error.message)); restore it from a copy")
            case SQLITE_CANTOPEN: throw .storage(path: path, message: "cannot open the store (\(error.message)): check that its folder exists and can be read")
            default: throw .storage(path: path, message: "cannot open the store: \(error.message)")
            }
        } catch {
            throw LarderError(error)
        }
    }

    /// A connection to `path` with `access` that has read the schema; when
    /// that cannot read and `immutableFallback`, an immutable one.
    private static func openReading(_ path: String, access: Connection.Access, busyTimeoutMilliseconds: Int32,
                                    immutableFallback: Bool) throws(SQLiteError) -> Connection {
        let failure: SQLiteError
        do {
            let db = try Connection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, access: access)
            _ = try db.queryInt("SELECT COUNT(*) FROM sqlite_schema")
            return db
        } catch {
            failure = error
        }
        guard immutableFallback, [SQLITE_CANTOPEN, SQLITE_READONLY].contains(failure.primaryCode) else { throw failure }
        let db = try Connection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, access: .immutable)
        _ = try db.queryInt("SELECT COUNT(*) FROM sqlite_schema")
        return db
    }

    /// Folds the write-ahead log of the store at `path`, if it has one, into
    /// the database and removes it, so that another file can be renamed over
    /// the database without meeting a stale log.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when another process keeps the
    ///   store open (its log cannot be removed).
    static func checkpoint(_ path: String) throws(LarderError) {
        guard FileSystem.exists(path + "-wal") else { return }
        do {
            let db = try Connection(path: path)
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch {
            throw LarderError(error)
        }
        if FileSystem.exists(path + "-wal") {
            throw .conflict("\(path) is open in another process; close it before replacing it")
        }
    }
}
