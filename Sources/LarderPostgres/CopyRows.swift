import Larder
import NIOCore

/// Rows of a ``WriteBatch`` in PostgreSQL's binary `COPY` format, the data
/// of one `COPY … FROM STDIN WITH (FORMAT binary)` into a view's table
/// (``PostgresConnection/copyBinary(into:columns:data:logger:)``), written
/// straight from the batch's columns into one buffer.
///
/// Format (PostgreSQL's documentation, "COPY", "Binary Format"): the
/// signature `PGCOPY\n\377\r\n\0`, 32-bit flags (0) and header-extension
/// length (0); per tuple a 16-bit field count, then each field as
/// ``Column/writeBinaryField(_:into:)`` writes it; the trailer, a 16-bit −1.
/// A tuple has the table's columns in order (``ViewTable/columns(_:)``):
/// the keys, the event and created times, the run id, the features.
enum CopyRows {
    /// The 11-byte signature that opens the data.
    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    /// The data for `rows` of `batch`, every tuple with `runID` in its run column.
    ///
    /// - Complexity: O(`rows.count` × columns), one buffer allocated.
    static func encode(_ batch: WriteBatch, rows: [Int], runID: Int64) -> ByteBuffer {
        let fields = batch.keys.count + 3 + batch.features.count
        var buffer = ByteBufferAllocator().buffer(capacity: capacity(batch, rows: rows, fields: fields))
        buffer.writeBytes(signature)
        buffer.writeMultipleIntegers(Int32(0), Int32(0))
        for row in rows {
            buffer.writeInteger(Int16(fields))
            for key in batch.keys.indices { batch.keys[key].writeBinaryField(row, into: &buffer) }
            buffer.writeMultipleIntegers(Int32(8), batch.eventTimes[row], Int32(8), batch.createdTimes[row], Int32(8), runID)
            for feature in batch.features.indices { batch.features[feature].writeBinaryField(row, into: &buffer) }
        }
        buffer.writeInteger(Int16(-1))
        return buffer
    }

    /// The size of ``encode(_:rows:runID:)``'s data when every value is
    /// present (strings and bytes counted as the whole batch's), so the
    /// buffer is allocated once.
    private static func capacity(_ batch: WriteBatch, rows: [Int], fields: Int) -> Int {
        var perRow = 2 + 4 * fields + 24
        var variable = 0
        for column in batch.keys + batch.features {
            switch column.type {
            case .int64, .timestamp, .float64: perRow += 8
            case .bool: perRow += 1
            case .string, .bytes: variable += column.bytes.count
            case .vector(let n): perRow += 4 * n
            }
        }
        return signature.count + 8 + rows.count * perRow + variable + 2
    }
}
