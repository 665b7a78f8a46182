/// One Arrow IPC message's metadata (`Message.fbs`): a schema, a record
/// batch or a dictionary batch, and the length of the body that follows it.
enum ArrowMessage {
    /// A record batch's layout: its row count, one node per column and the
    /// places of its buffers in the body.
    struct Batch {
        /// One column's row and null counts (`FieldNode`).
        struct FieldNode {
            /// Rows.
            var length: Int
            /// Nulls among them.
            var nullCount: Int
        }

        /// Rows.
        var length: Int
        /// The columns' nodes, in schema order.
        var nodes: [FieldNode]
        /// The buffers' byte ranges, relative to the body's start.
        var buffers: [Range<Int>]
    }

    /// The schema: the columns' names and types.
    case schema([ArrowField])
    /// The values of a dictionary (`delta`: appended to the one it has).
    case dictionary(id: Int64, batch: Batch, delta: Bool)
    /// A batch of rows.
    case batch(Batch)

    /// The message in `buffer` and the length of its body.
    static func parse(_ buffer: FlatBufferView) throws(LarderError) -> (message: ArrowMessage, bodyLength: Int) {
        let message = try buffer.root()
        let version = try message.scalar(0, Int16.self)
        guard version >= 3 else {
            throw buffer.failure("metadata version V\(version + 1) is older than V4, which Larder reads")
        }
        let bodyLength = try message.scalar(3, Int64.self)
        guard bodyLength >= 0, bodyLength <= Int64(buffer.bytes.count) else {
            throw buffer.failure("a body of \(bodyLength) bytes is longer than the input")
        }
        guard let header = try message.table(2) else { throw buffer.failure("the message has no header") }
        switch try message.scalar(1, UInt8.self) {
        case 1:
            guard try header.scalar(0, Int16.self) == 0 else {
                throw buffer.failure("the data is big-endian; Larder reads little-endian Arrow")
            }
            let fields = try header.tables(1)
            var columns: [ArrowField] = []
            for (i, field) in fields.enumerated() { columns.append(try ArrowField(field, position: i)) }
            return (.schema(columns), Int(bodyLength))
        case 2:
            guard let data = try header.table(1) else { throw buffer.failure("a dictionary batch has no data") }
            return (.dictionary(id: try header.scalar(0, Int64.self), batch: try batch(data, bodyLength: Int(bodyLength)),
                                delta: try header.flag(2)), Int(bodyLength))
        case 3:
            return (.batch(try batch(header, bodyLength: Int(bodyLength))), Int(bodyLength))
        case let other:
            throw buffer.failure("a message of type \(other == 4 || other == 5 ? "tensor" : "#\(other)"); Larder reads schemas, record batches and dictionaries")
        }
    }

    /// The record batch described by `table` (a `RecordBatch`).
    private static func batch(_ table: FlatTable, bodyLength: Int) throws(LarderError) -> Batch {
        let buffer = table.buffer
        if try table.field(3) != nil {
            throw buffer.failure("the body is compressed (LZ4 or ZSTD); Larder reads uncompressed Arrow (write it with compression=None)")
        }
        let length = try table.scalar(0, Int64.self)
        guard length >= 0, length <= Int64(Int32.max) * 64 else { throw buffer.failure("a batch claims \(length) rows") }
        var nodes: [Batch.FieldNode] = []
        if let (start, count) = try table.vector(1, elementSize: 16) {
            for i in 0..<count {
                let rows = try buffer.load(Int64.self, at: start + 16 * i)
                let nulls = try buffer.load(Int64.self, at: start + 16 * i + 8)
                guard rows == length, nulls >= 0, nulls <= rows else {
                    throw buffer.failure("column \(i + 1) has \(rows) rows and \(nulls) nulls in a batch of \(length) rows")
                }
                nodes.append(Batch.FieldNode(length: Int(rows), nullCount: Int(nulls)))
            }
        }
        var buffers: [Range<Int>] = []
        if let (start, count) = try table.vector(2, elementSize: 16) {
            for i in 0..<count {
                let offset = try buffer.load(Int64.self, at: start + 16 * i)
                let size = try buffer.load(Int64.self, at: start + 16 * i + 8)
                guard offset >= 0, size >= 0, offset <= Int64(bodyLength), size <= Int64(bodyLength) - offset else {
                    throw buffer.failure("buffer \(i + 1) (\(size) bytes at \(offset)) lies outside the body of \(bodyLength) bytes")
                }
                buffers.append(Int(offset)..<Int(offset + size))
            }
        }
        return Batch(length: Int(length), nodes: nodes, buffers: buffers)
    }
}
