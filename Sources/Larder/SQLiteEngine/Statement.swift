import CLarderSQLite

/// A prepared SQLite statement. Statements are owned and cached by their
/// ``Connection``; use them only on the thread that holds the connection.
///
/// Binding and reading go straight to `sqlite3_bind_*` / `sqlite3_column_*`
/// with no intermediate value enum.
/// See <https://www.sqlite.org/c3ref/stmt.html>.
package final class Statement: RowCursor {
    let handle: OpaquePointer
    /// The SQL text the statement was prepared from.
    package let sql: String
    unowned let connection: Connection

    init(connection: Connection, sql: String) throws(SQLiteError) {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw SQLiteError(code: rc, connection: connection.handle, sql: sql)
        }
        self.handle = stmt
        self.sql = sql
        self.connection = connection
    }

    deinit { sqlite3_finalize(handle) }

    /// Resets the statement and clears its bindings, ready for the next use.
    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Resets the statement but keeps its bindings: for a loop that rebinds
    /// every parameter of every row.
    @inline(__always) package func resetKeepingBindings() {
        sqlite3_reset(handle)
    }

    // MARK: Binding (1-based parameter indexes, as in SQLite)

    /// Binds an integer to parameter `index` (1-based).
    @inline(__always) package func bind(_ value: Int64, at index: Int32) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds a double to parameter `index` (1-based).
    @inline(__always) package func bind(_ value: Double, at index: Int32) {
        sqlite3_bind_double(handle, index, value)
    }

    /// Binds text to parameter `index` (1-based); SQLite copies it.
    @inline(__always) package func bind(_ value: String, at index: Int32) {
        var value = value
        value.withUTF8 { bindText(UnsafeRawBufferPointer($0), at: index) }
    }

    /// Binds UTF-8 bytes as text to parameter `index` (1-based); SQLite copies them.
    @inline(__always) package func bindText(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        if let base = bytes.baseAddress {
            sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count), sqliteTransient)
        } else {
            sqlite3_bind_text(handle, index, emptyText, 0, nil)
        }
    }

    /// Binds bytes as a blob to parameter `index` (1-based); SQLite copies them.
    @inline(__always) package func bindBlob(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        if let base = bytes.baseAddress {
            sqlite3_bind_blob(handle, index, base, Int32(bytes.count), sqliteTransient)
        } else {
            sqlite3_bind_zeroblob(handle, index, 0)
        }
    }

    /// Binds UTF-8 bytes as text to parameter `index` (1-based) without a
    /// copy (`SQLITE_STATIC`): `bytes` must have an address and stay valid
    /// until the parameter is bound again or the bindings are cleared
    /// (``reset()``).
    @inline(__always) package func bindTextInPlace(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        sqlite3_bind_text(handle, index, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Binds bytes as a blob to parameter `index` (1-based) without a copy
    /// (`SQLITE_STATIC`), under the same terms as ``bindTextInPlace(_:at:)``.
    @inline(__always) package func bindBlobInPlace(_ bytes: UnsafeRawBufferPointer, at index: Int32) {
        sqlite3_bind_blob(handle, index, bytes.baseAddress!, Int32(bytes.count), nil)
    }

    /// Binds SQL NULL to parameter `index` (1-based).
    @inline(__always) package func bindNull(at index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    // MARK: Stepping

    /// Advances to the next row. Returns `true` when a row is available and
    /// `false` when the statement is done.
    @discardableResult
    package func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError(code: sqlite3_extended_errcode(connection.handle), connection: connection.handle, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs the statement to completion, ignoring any rows, then resets it.
    package func run() throws(SQLiteError) {
        defer { reset() }
        while try step() {}
    }

    // MARK: Reading (0-based column indexes, as in SQLite)

    /// Whether column `index` (0-based) of the current row is NULL.
    @inline(__always) package func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` (0-based) of the current row as an integer.
    @inline(__always) package func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Column `index` (0-based) of the current row as a double.
    @inline(__always) package func double(_ index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// Column `index` (0-based) of the current row as text (empty when NULL).
    package func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// Calls `body` with the bytes of column `index` (0-based) of the current
    /// row, valid only during the call; no copy is made.
    @inline(__always) package func withBytes<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let pointer = sqlite3_column_blob(handle, index)
        let count = Int(sqlite3_column_bytes(handle, index))
        return try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

/// SQLite's `SQLITE_TRANSIENT`: SQLite makes its own copy of bound text and blobs.
let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

/// A static empty C string for binding empty text without a copy.
nonisolated(unsafe) private let emptyText: UnsafePointer<CChar> = {
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    p.pointee = 0
    return UnsafePointer(p)
}()
