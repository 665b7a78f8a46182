/// The current row of a result set, read column by column in place: what a
/// store engine hands to the code that fills typed columns from its rows
/// (SQLite's prepared statements conform; another engine's row decoder
/// would too).
///
/// Reading the wrong type of a column gives the engine's conversion, as
/// SQLite's `sqlite3_column_*` functions do.
package protocol RowCursor {
    /// Whether column `index` of the row is NULL.
    func isNull(_ index: Int32) -> Bool
    /// Column `index` as an integer.
    func int64(_ index: Int32) -> Int64
    /// Column `index` as a double.
    func double(_ index: Int32) -> Double
    /// Calls `body` with the bytes of column `index` (text as UTF-8, or a blob).
    func withBytes<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}
