import CLarderSQLite

/// An error reported by SQLite: its extended result code, its message and the
/// statement that failed.
///
/// See <https://www.sqlite.org/rescode.html>.
package struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_PRIMARYKEY`, `SQLITE_BUSY`, …).
    package let code: Int32
    /// SQLite's message for the error.
    package let message: String
    /// The SQL that was being prepared or run, when there was one.
    package let sql: String?

    /// The primary result code (the low byte of ``code``).
    package var primaryCode: Int32 { code & 0xFF }

    init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    init(code: Int32, connection: OpaquePointer?, sql: String?) {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(code))
        self.init(code: code, message: message, sql: sql)
    }

    /// `SQLite error CODE: MESSAGE (in: SQL)`, with the SQL shortened by
    /// ``excerpt(_:)`` (``sql`` keeps all of it).
    package var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(Self.excerpt(sql)))" }
        return text
    }

    /// The longest statement, in characters, that a description shows whole.
    static let excerptLength = 200

    /// `sql` on one line (each run of white space as one space), cut after
    /// ``excerptLength`` characters with its full size noted, so that a
    /// message never echoes a statement of thousands of columns.
    static func excerpt(_ sql: String) -> String {
        let oneLine = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        guard oneLine.count > excerptLength else { return oneLine }
        return oneLine.prefix(excerptLength) + "… (\(sql.utf8.count) bytes)"
    }
}

extension LarderError {
    /// An error SQLite reported on the store at `path` (when known). Errors
    /// about the store file itself (read-only, full disk, I/O, damage, a
    /// long-held write lock) say what happened and what to do.
    package static func store(_ error: SQLiteError, path: String? = nil) -> LarderError {
        guard let path else { return LarderError(.storage, error.description) }
        switch error.primaryCode {
        case SQLITE_READONLY:
            return .storage(path: path, message: "the store is read-only here (\(error.message)); reading works, writing needs write access to the file and its folder")
        case SQLITE_FULL:
            return .storage(path: path, message: "the disk is full (\(error.message)); nothing of this write was kept")
        case SQLITE_IOERR:
            return .storage(path: path, message: "cannot read or write the store (\(error.message)); nothing of this write was kept")
        case SQLITE_CORRUPT, SQLITE_NOTADB:
            return .storage(path: path, message: "the store is damaged (\(error.message)); restore it from a copy")
        case SQLITE_BUSY:
            return .storage(path: path, message: "another run is being written to this store and held it past the busy timeout; try again when it has committed")
        default:
            return LarderError(.storage, "\(path): \(error.description)", path: path)
        }
    }
}

extension SQLiteError: EngineError {
    package func larderError(store: String?) -> LarderError { .store(self, path: store) }
}
