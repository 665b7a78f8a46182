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
    ///
    /// - Complexity: O(rows × columns): the batch's canonical form is
    ///   written into one reused buffer, then hashed at once.
    package mutating func add(_ batch: [Column]) {
        guard let count = batch.first?.count, count > 0 else { return }
        let size = batch.reduce(0) { $0 + Self.bound(of: $1, rows: count) }
        if buffer.count < size { buffer = [UInt8](repeating: 0, count: size) }
        let used = buffer.withUnsafeMutableBytes { out in
            // Through a buffer pointer, each column is borrowed in place, not copied per value.
            batch.withUnsafeBufferPointer { columns in
                var at = 0
                for row in 0..<count {
                    for c in columns.indices { at = Self.write(columns[c], row, into: out, at: at) }
                }
                return at
            }
        }
        buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[..<used])) }
        rows += count
    }

    /// The hex digest of the rows added.
    package var digest: String { hash.finalize() }

    /// At most the bytes that `rows` values of `column` take in canonical form.
    private static func bound(of column: Column, rows: Int) -> Int {
        switch column.type {
        case .int64, .timestamp, .float64: rows * 9
        case .bool: rows * 2
        case .string, .bytes: rows * 5 + column.bytes.count
        case .vector(let n): rows * (1 + 4 * n)
        }
    }

    /// Writes value `row` of `column` in canonical form at byte `at` of
    /// `out` (room enough, see ``bound(of:rows:)``); returns where the next
    /// value goes.
    @inline(__always)
    private static func write(_ column: borrowing Column, _ row: Int, into out: UnsafeMutableRawBufferPointer, at: Int) -> Int {
        guard column.isValid(row) else {
            out[at] = 0
            return at + 1
        }
        out[at] = 1
        let value = out.baseAddress! + at + 1
        switch column.type {
        case .int64, .timestamp:
            value.storeBytes(of: UInt64(bitPattern: column.ints[row]).littleEndian, as: UInt64.self)
            return at + 9
        case .float64:
            let double = column.doubles[row]
            value.storeBytes(of: (double.isNaN ? Double.nan.bitPattern : double.bitPattern).littleEndian, as: UInt64.self)
            return at + 9
        case .bool:
            value.storeBytes(of: column.bools[row] ? 1 : 0, as: UInt8.self)
            return at + 2
        case .string, .bytes:
            let start = column.offsets[row], length = column.offsets[row + 1] - start
            value.storeBytes(of: UInt32(length).littleEndian, as: UInt32.self)
            if length > 0 {
                column.bytes.withUnsafeBytes { bytes in (value + 4).copyMemory(from: bytes.baseAddress! + start, byteCount: length) }
            }
            return at + 5 + length
        case .vector(let n):
            for i in 0..<n { (value + 4 * i).storeBytes(of: column.floats[row * n + i].bitPattern.littleEndian, as: UInt32.self) }
            return at + 1 + 4 * n
        }
    }
}
