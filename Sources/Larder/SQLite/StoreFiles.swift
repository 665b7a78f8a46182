/// The files of one store: the database and the companions SQLite keeps
/// beside it (<https://www.sqlite.org/tempfiles.html>).
enum StoreFiles {
    /// What SQLite appends to the database's path for its companion files.
    static let suffixes = ["-wal", "-shm", "-journal"]

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
            throw .usage("\(path) is open in another process; close it before replacing it")
        }
    }
}
