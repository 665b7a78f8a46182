import Larder

extension Column {
    /// The rows of a `string` column whose text holds the character U+0000
    /// (NUL), which PostgreSQL's `text` cannot store (SQLite's can): empty
    /// for any other type.
    ///
    /// - Complexity: one scan of the column's bytes; rows are looked at one
    ///   by one only when it holds a NUL.
    var rowsHoldingNUL: [Int] {
        guard type == .string, bytes.contains(0) else { return [] }
        return (0..<count).filter { isValid($0) && byteSlice($0).contains(0) }
    }
}
