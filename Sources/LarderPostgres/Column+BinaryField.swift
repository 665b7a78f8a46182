import Larder
import NIOCore

extension Column {
    /// Writes row `row` as one field of PostgreSQL's binary formats: a
    /// 32-bit length (−1 for null), then the value as the view tables store
    /// it, big-endian: `int8` for int64 and timestamps (µs), `float8` (its
    /// bit pattern, so NaN and ±∞ pass as they are), `bool` (one byte),
    /// `text` (UTF-8) and `bytea` (raw; a vector's Float32s little-endian,
    /// as SQLite's blob and the cache read them). The same field is an
    /// element of a binary array (``ColumnArray``) and a column of a binary
    /// `COPY` tuple (``CopyRows``).
    @inline(__always)
    func writeBinaryField(_ row: Int, into buffer: inout ByteBuffer) {
        guard validity[row] else {
            buffer.writeInteger(Int32(-1))
            return
        }
        switch type {
        case .int64, .timestamp:
            buffer.writeMultipleIntegers(Int32(8), ints[row])
        case .float64:
            buffer.writeMultipleIntegers(Int32(8), doubles[row].bitPattern)
        case .bool:
            buffer.writeMultipleIntegers(Int32(1), UInt8(bools[row] ? 1 : 0))
        case .string, .bytes:
            let start = offsets[row], end = offsets[row + 1]
            buffer.writeInteger(Int32(end - start))
            _ = bytes.withUnsafeBytes { buffer.writeBytes(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
        case .vector(let n):
            buffer.writeInteger(Int32(n * 4))
            for i in row * n..<(row + 1) * n { buffer.writeInteger(floats[i].bitPattern, endianness: .little) }
        }
    }
}
