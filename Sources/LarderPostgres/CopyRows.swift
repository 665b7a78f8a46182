import Larder
import NIOCore

/// Rows of a ``WriteBatch`` (or of a whole table's columns) in
/// PostgreSQL's binary `COPY` format, the data of one `COPY … FROM STDIN
/// WITH (FORMAT binary)` into a table
/// (``PostgresConnection/copyBinary(into:columns:data:logger:)``), written
/// straight from the columns into one buffer.
///
/// Format (PostgreSQL's documentation, "COPY", "Binary Format"): the
/// signature `PGCOPY\n\377\r\n\0`, 32-bit flags (0) and header-extension
/// length (0); per tuple a 16-bit field count, then each field as
/// ``Column/writeBinaryField(_:into:)`` writes it; the trailer, a 16-bit −1.
/// A tuple of a batch has the view table's columns in order
/// (``ViewTable/columns(_:)``): the keys, the event and created times, the
/// run id, the features.
enum CopyRows {
    /// The 11-byte signature that opens the data.
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    /// The data for `rows` of `batch`, every tuple with `runID` in its run column.
    ///
    /// - Complexity: O(`rows.count` × columns), one buffer allocated.
    static func encode(_ batch: WriteBatch, rows: [Int], runID: Int64) -> ByteBuffer {
        let fields = batch.keys.count + 3 + batch.features.count
        var buffer = start(capacity: capacity(batch.keys + batch.features, rows: rows.count, fields: fields, fixed: 24))
        for row in rows {
            buffer.writeInteger(Int16(fields))
            for key in batch.keys.indices { batch.keys[key].writeBinaryField(row, into: &buffer) }
            buffer.writeMultipleIntegers(Int32(8), batch.eventTimes[row], Int32(8), batch.createdTimes[row], Int32(8), runID)
            for feature in batch.features.indices { batch.features[feature].writeBinaryField(row, into: &buffer) }
        }
        return finish(buffer)
    }

    /// The data for every row of `columns`, one column per column of the
    /// target table, in its order, each of the type its column takes
    /// (`int64` for `bigint`, `float64` for `double precision`, …, as
    /// ``Column/writeBinaryField(_:into:)`` writes them): a table copied
    /// whole (`larder migrate-store`).
    ///
    /// - Complexity: O(rows × columns), one buffer allocated.
    static func encode(columns: [Column]) -> ByteBuffer {
        let rows = columns.first?.count ?? 0
        var buffer = start(capacity: capacity(columns, rows: rows, fields: columns.count, fixed: 0))
        columns.withUnsafeBufferPointer { columns in
            for row in 0..<rows {
                buffer.writeInteger(Int16(columns.count))
                for column in columns.indices { columns[column].writeBinaryField(row, into: &buffer) }
            }
        }
        return finish(buffer)
    }

    /// A buffer of `capacity` bytes holding the signature and the header.
    private static func start(capacity: Int) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeBytes(signature)
        buffer.writeMultipleIntegers(Int32(0), Int32(0))
        return buffer
    }

    /// `buffer` with the trailer.
    private static func finish(_ buffer: ByteBuffer) -> ByteBuffer {
        var buffer = buffer
        buffer.writeInteger(Int16(-1))
        return buffer
    }

    /// The size of the data of `rows` tuples of `fields` fields, the
    /// values of `columns` plus `fixed` bytes per tuple, when every value
    /// is present (strings and bytes counted as the whole columns'), so the
    /// buffer is allocated once.
    private static func capacity(_ columns: [Column], rows: Int, fields: Int, fixed: Int) -> Int {
        var perRow = 2 + 4 * fields + fixed
        var variable = 0
        for column in columns {
            switch column.type {
            case .int64, .timestamp, .float64: perRow += 8
            case .bool: perRow += 1
            case .string, .bytes: variable += column.bytes.count
            case .vector(let n): perRow += 4 * n
            }
        }
        return signature.count + 8 + rows * perRow + variable + 2
    }
}
