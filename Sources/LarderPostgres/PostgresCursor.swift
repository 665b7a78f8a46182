import Larder
import NIOCore
import PostgresNIO

/// One row of an answer, read column by column in place from postgres-nio's
/// binary cells: what the cache and the exports fill typed columns from
/// (a ``RowCursor``, like SQLite's statements). Reading another type than
/// the column's gives a conversion (bool as 0/1, integers as doubles).
struct PostgresCursor: RowCursor {
    /// The row's cells in column order: each value's bytes (`nil` for
    /// NULL) and type, taken once (postgres-nio makes a `PostgresCell`, with
    /// its column's name, at every look at a cell).
    private let cells: [(bytes: ByteBuffer?, type: PostgresDataType)]

    /// The cursor over `row`.
    init(_ row: PostgresRow) {
        cells = row.map { ($0.bytes, $0.dataType) }
    }

    func isNull(_ index: Int32) -> Bool { cells[Int(index)].bytes == nil }

    func int64(_ index: Int32) -> Int64 {
        let cell = cells[Int(index)]
        guard var bytes = cell.bytes else { return 0 }
        switch cell.type {
        case .int8: return bytes.readInteger(as: Int64.self) ?? 0
        case .int4: return Int64(bytes.readInteger(as: Int32.self) ?? 0)
        case .int2: return Int64(bytes.readInteger(as: Int16.self) ?? 0)
        case .bool: return (bytes.readInteger(as: UInt8.self) ?? 0) != 0 ? 1 : 0
        case .float8:
            let value = Double(bitPattern: bytes.readInteger(as: UInt64.self) ?? 0)
            return value.isFinite ? Int64(exactly: value.rounded(.towardZero)) ?? 0 : 0
        default: return 0
        }
    }

    func double(_ index: Int32) -> Double {
        let cell = cells[Int(index)]
        guard var bytes = cell.bytes else { return 0 }
        switch cell.type {
        case .float8: return Double(bitPattern: bytes.readInteger(as: UInt64.self) ?? 0)
        case .float4: return Double(Float(bitPattern: bytes.readInteger(as: UInt32.self) ?? 0))
        case .int8, .int4, .int2, .bool: return Double(int64(index))
        default: return 0
        }
    }

    func withBytes<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let bytes = cells[Int(index)].bytes else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try bytes.withUnsafeReadableBytes(body)
    }

    /// Column `index` as text.
    func text(_ index: Int32) -> String {
        withBytes(index) { String(decoding: $0, as: UTF8.self) }
    }
}
