import Foundation
import Larder
import NIOCore
import PostgresNIO

/// A page of a view's table as one row of arrays — `array_agg` of each
/// column over up to ``PostgresSession/scanRows`` rows in primary-key
/// order — read as rows through ``RowCursor`` (what the cache's builder
/// takes), straight from PostgreSQL's binary array format.
///
/// Why: a cache load of 1M rows through postgres-nio's rows spent most of its
/// time retaining and releasing each row's and each cell's buffers (57% of
/// the samples); a page is one row of a few large cells, decoded here with
/// plain loads. Each array is copied once into memory the page owns, and an
/// element is found by its offset, so reading a value costs a load and a
/// byte swap.
final class ColumnPage {
    /// One column: its array's elements in `bytes`, the element type, and
    /// for each row the element's offset and length (-1 for NULL).
    struct Column {
        let bytes: UnsafeMutableRawBufferPointer
        let elementType: PostgresDataType
        let offsets: UnsafeMutablePointer<Int32>
        let lengths: UnsafeMutablePointer<Int32>
    }

    /// The columns, in the query's order.
    let columns: UnsafeMutableBufferPointer<Column>
    /// The rows of the page (every column has this many elements).
    let rowCount: Int

    /// The page of `row`'s cells, each a one-dimensional array (a NULL cell:
    /// no rows, what `array_agg` gives over none). Throws when a cell is not
    /// such an array or the columns' lengths differ.
    init(_ row: PostgresRow, address: PostgresAddress) throws {
        var built: [Column] = []
        var count: Int?
        var complete = false
        defer {
            if !complete { for column in built { ColumnPage.free(column) } }
        }
        for cell in row {
            let column = try ColumnPage.decode(cell.bytes, address: address)
            built.append(column.column)
            guard count == nil || count == column.rows else {
                throw PostgresError(message: "a page of the view's columns has arrays of \(count!) and \(column.rows) elements", address: address)
            }
            count = column.rows
        }
        complete = true
        rowCount = count ?? 0
        columns = .allocate(capacity: built.count)
        _ = columns.initialize(from: built)
    }

    deinit {
        for column in columns { ColumnPage.free(column) }
        columns.deallocate()
    }

    /// A cursor at row `row`.
    func cursor(at row: Int) -> Cursor { Cursor(columns: UnsafeBufferPointer(columns), row: row) }

    /// The row `row` of the page, read column by column in place (conversions as ``PostgresCursor``'s).
    struct Cursor: RowCursor {
        let columns: UnsafeBufferPointer<Column>
        var row: Int

        func isNull(_ index: Int32) -> Bool { columns[Int(index)].lengths[row] < 0 }

        func int64(_ index: Int32) -> Int64 {
            let column = columns[Int(index)]
            guard column.lengths[row] >= 0 else { return 0 }
            let at = Int(column.offsets[row])
            switch column.elementType {
            case .int8: return Int64(bigEndian: column.bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
            case .int4: return Int64(Int32(bigEndian: column.bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)))
            case .int2: return Int64(Int16(bigEndian: column.bytes.loadUnaligned(fromByteOffset: at, as: Int16.self)))
            case .bool: return column.bytes[at] != 0 ? 1 : 0
            case .float8:
                let value = Double(bitPattern: UInt64(bigEndian: column.bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
                return value.isFinite ? Int64(exactly: value.rounded(.towardZero)) ?? 0 : 0
            default: return 0
            }
        }

        func double(_ index: Int32) -> Double {
            let column = columns[Int(index)]
            guard column.lengths[row] >= 0 else { return 0 }
            let at = Int(column.offsets[row])
            switch column.elementType {
            case .float8: return Double(bitPattern: UInt64(bigEndian: column.bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
            case .float4: return Double(Float(bitPattern: UInt32(bigEndian: column.bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))))
            case .int8, .int4, .int2, .bool: return Double(int64(index))
            default: return 0
            }
        }

        func withBytes<R>(_ index: Int32, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            let column = columns[Int(index)]
            let length = Int(column.lengths[row])
            guard length >= 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
            return try body(UnsafeRawBufferPointer(rebasing: column.bytes[Int(column.offsets[row])..<Int(column.offsets[row]) + length]))
        }
    }

    /// Whether row `a`'s first `keyColumns` columns (join keys, event and
    /// created times, run) come strictly before row `b`'s, in the table's
    /// key order (text as bytes: the `"C"` collation). `textKeys[c]` says
    /// whether column `c` is text.
    static func precedes(_ a: Cursor, _ b: Cursor, textKeys: [Bool]) -> Bool {
        for (c, text) in textKeys.enumerated() {
            let index = Int32(c)
            if text {
                let order = a.withBytes(index) { x in b.withBytes(index) { y in compare(x, y) } }
                if order != 0 { return order < 0 }
            } else {
                let x = a.int64(index), y = b.int64(index)
                if x != y { return x < y }
            }
        }
        return false
    }

    /// The byte order of `x` and `y`: negative, zero or positive.
    private static func compare(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        let common = min(x.count, y.count)
        if common > 0 {
            let order = memcmp(x.baseAddress!, y.baseAddress!, common)
            if order != 0 { return Int(order) }
        }
        return x.count - y.count
    }

    /// The column of one cell in PostgreSQL's binary array format: `ndim`,
    /// a flags word, the element type's OID, for each dimension its size and
    /// lower bound, then each element as a length (-1: NULL) and its bytes;
    /// all integers big-endian.
    private static func decode(_ cell: ByteBuffer?, address: PostgresAddress) throws -> (column: Column, rows: Int) {
        let size = cell?.readableBytes ?? 0
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
        if let cell { cell.withUnsafeReadableBytes { bytes.copyMemory(from: $0) } }
        func int32(_ at: Int) -> Int32 { Int32(bigEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int32.self)) }
        func malformed(_ what: String) -> PostgresError {
            bytes.deallocate()
            return PostgresError(message: "a page of the view's columns is not a one-dimensional array: \(what)", address: address)
        }
        guard cell != nil, size >= 12 else {
            if cell != nil, size < 12 { throw malformed("\(size) bytes") }
            return (Column(bytes: bytes, elementType: PostgresDataType(0), offsets: .allocate(capacity: 1), lengths: .allocate(capacity: 1)), 0)
        }
        let dimensions = int32(0)
        let elementType = PostgresDataType(UInt32(bitPattern: int32(8)))
        guard dimensions == 0 || (dimensions == 1 && size >= 20) else { throw malformed("\(dimensions) dimensions") }
        let rows = dimensions == 0 ? 0 : Int(int32(12))
        guard rows >= 0 else { throw malformed("\(rows) elements") }
        let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: max(rows, 1))
        let lengths = UnsafeMutablePointer<Int32>.allocate(capacity: max(rows, 1))
        var at = dimensions == 0 ? 12 : 20
        for row in 0..<rows {
            guard at + 4 <= size else {
                offsets.deallocate()
                lengths.deallocate()
                throw malformed("it ends at element \(row) of \(rows)")
            }
            let length = int32(at)
            at += 4
            offsets[row] = Int32(at)
            lengths[row] = length
            if length > 0 { at += Int(length) }
            guard at <= size else {
                offsets.deallocate()
                lengths.deallocate()
                throw malformed("element \(row) runs past its end")
            }
        }
        return (Column(bytes: bytes, elementType: elementType, offsets: offsets, lengths: lengths), rows)
    }

    /// Frees a column's memory.
    private static func free(_ column: Column) {
        column.bytes.deallocate()
        column.offsets.deallocate()
        column.lengths.deallocate()
    }
}
