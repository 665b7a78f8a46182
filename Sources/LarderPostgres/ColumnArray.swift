import Larder
import NIOCore
import PostgresNIO

/// The rows of a ``Column`` (or of a run's times) that `keep` selects, as
/// one PostgreSQL array parameter in the binary format: how `migrate-store`
/// sends a page of rows, and a run writer the keys it looks up, one
/// parameter per column (`unnest($1::bigint[], …)`), written straight from
/// the column's buffers.
///
/// Format (PostgreSQL's `array_send`): dimensions, a has-nulls flag, the
/// element type, the length and lower bound, then each element as a 32-bit
/// length (−1 for null) and its bytes, big-endian (``Column/writeBinaryField(_:into:)``).
struct ColumnArray: PostgresDynamicTypeEncodable {
    /// The values, or `nil` for the run's times (``times``).
    let column: Column?
    /// The times, when there is no column.
    let times: [Int64]
    /// The rows to send.
    let rows: [Int]

    /// The rows `rows` of `column`.
    init(_ column: Column, rows: [Int]) {
        self.column = column
        self.times = []
        self.rows = rows
    }

    /// The rows `rows` of `times`.
    init(times: [Int64], rows: [Int]) {
        self.column = nil
        self.times = times
        self.rows = rows
    }

    /// The element type: int8, float8, bool, text or bytea.
    private var elementType: PostgresDataType {
        switch column?.type ?? .int64 {
        case .int64, .timestamp: .int8
        case .float64: .float8
        case .bool: .bool
        case .string: .text
        case .bytes, .vector: .bytea
        }
    }

    var psqlType: PostgresDataType {
        switch elementType {
        case .int8: .int8Array
        case .float8: .float8Array
        case .bool: .boolArray
        case .text: .textArray
        default: .byteaArray
        }
    }

    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        guard !rows.isEmpty else {
            buffer.writeMultipleIntegers(Int32(0), Int32(0), Int32(bitPattern: elementType.rawValue))
            return
        }
        let hasNulls = column.map { c in rows.contains { !c.validity[$0] } } ?? false
        buffer.writeMultipleIntegers(Int32(1), Int32(hasNulls ? 1 : 0), Int32(bitPattern: elementType.rawValue), Int32(rows.count), Int32(1))
        guard let column else {
            for row in rows { buffer.writeMultipleIntegers(Int32(8), times[row]) }
            return
        }
        for row in rows { column.writeBinaryField(row, into: &buffer) }
    }

    /// The SQL array type of `type`'s elements, for a cast (`$1::bigint[]`).
    static func sqlType(_ type: FeatureType) -> String {
        switch type {
        case .int64, .timestamp: "bigint[]"
        case .float64: "double precision[]"
        case .bool: "boolean[]"
        case .string: "text[]"
        case .bytes, .vector: "bytea[]"
        }
    }
}
