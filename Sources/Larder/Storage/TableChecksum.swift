/// The row count and SHA-256 of a table's rows as read in one order, each
/// value in one canonical form (by its column's type, not by how an engine
/// stores it), so that a table copied from one engine to another has the
/// same checksum on both sides exactly when every value arrived.
///
/// Form of a row: each value as a presence byte (0 null, 1 present) then
/// integers and times as 8 bytes little-endian, doubles as their bit
/// pattern (every NaN as one), booleans as one byte, text and bytes as a
/// 4-byte length and the bytes, vectors as their Float32 bit patterns.
package struct TableChecksum: Sendable {
    /// The rows added.
    package private(set) var rows = 0
    private var hash = SHA256()
    private var buffer: [UInt8] = []

    /// No rows yet.
    package init() {}

    /// Adds the rows of `batch` (one column per table column, equal counts).
    package mutating func add(_ batch: [Column]) {
        guard let count = batch.first?.count else { return }
        buffer.removeAll(keepingCapacity: true)
        // Through a buffer pointer, each column is borrowed in place, not copied per value.
        batch.withUnsafeBufferPointer { columns in
            for row in 0..<count {
                for c in columns.indices { append(columns[c], row) }
            }
        }
        buffer.withUnsafeBytes { hash.update($0) }
        rows += count
    }

    /// The hex digest of the rows added.
    package var digest: String { hash.finalize() }

    private mutating func append(_ column: borrowing Column, _ row: Int) {
        guard column.isValid(row) else {
            buffer.append(0)
            return
        }
        buffer.append(1)
        switch column.type {
        case .int64, .timestamp: appendWord(UInt64(bitPattern: column.ints[row]))
        case .float64:
            let value = column.doubles[row]
            appendWord(value.isNaN ? Double.nan.bitPattern : value.bitPattern)
        case .bool: buffer.append(column.bools[row] ? 1 : 0)
        case .string, .bytes:
            let bytes = column.byteSlice(row)
            appendWord32(UInt32(bytes.count))
            buffer.append(contentsOf: bytes)
        case .vector(let n):
            for i in 0..<n { appendWord32(column.floats[row * n + i].bitPattern) }
        }
    }

    private mutating func appendWord(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    private mutating func appendWord32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
}
