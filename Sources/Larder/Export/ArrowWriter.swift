#if !_endian(little)
#error("ArrowWriter copies column buffers as they lie in memory, and it declares them little-endian")
#endif

/// Writes frames in the Arrow IPC format (semantics §7), readable by
/// `pyarrow.feather.read_table`, `pyarrow.ipc.open_stream` and
/// `pandas.read_feather`.
///
/// Layout (<https://arrow.apache.org/docs/format/Columnar.html>): a schema
/// message, then record batches of at most ``batchRows`` rows each, then
/// the end-of-stream marker; in the file container the whole is wrapped in
/// `ARROW1` magic and ends with a footer that lists the batches. A larger
/// write is split, and a batch is cut shorter when its string or bytes data
/// would pass the 2 GiB reach of 32-bit offsets; rows of separate writes
/// never share a batch, so write frames of thousands of rows. Every message is framed as
/// continuation marker `0xFFFFFFFF`, metadata length, a `Message`
/// flatbuffer padded to 8 bytes, then the body, whose buffers are each
/// 8-byte aligned and padded. Little-endian, uncompressed, no dictionaries.
///
/// Types: `int64` → `int64`; `float64` → `double`; `bool` → bit-packed
/// `bool`; `string` → `utf8`; `bytes` → `binary` (32-bit offsets, from 0 in
/// each batch); `timestamp` → `timestamp[us, tz=UTC]`;
/// `vector<float32, N>` → `fixed_size_list<item: float>[N]`. Every field is
/// nullable; nulls are in validity bitmaps, left out (length 0) in a batch
/// where a column has none.
struct ArrowWriter: FrameWriter {
    /// How the messages are wrapped.
    enum Container {
        /// The IPC file format (Feather v2): magic, messages, footer, magic.
        /// The footer lets readers find batches directly.
        case file
        /// The IPC stream format: messages, then the end-of-stream marker;
        /// for outputs that are read front to back, such as a pipe.
        case stream
    }

    /// The default largest number of rows in one record batch.
    static let defaultBatchRows = 65_536

    private let schema: ExportSchema
    private let container: Container
    /// The largest number of rows in one record batch.
    let batchRows: Int
    /// The output; tests read a memory sink's buffer.
    private(set) var sink: ByteSink
    /// For the file footer, three words per record batch: the offset of its
    /// message, the length of its metadata (prefix included), its body length.
    private var blocks: [Int64] = []

    /// A writer of `schema` to `sink` in `container`, with at most
    /// `batchRows` rows per record batch; the magic (file container) and the
    /// schema message are written at once.
    init(schema: ExportSchema, sink: ByteSink, container: Container, batchRows: Int = defaultBatchRows) {
        precondition(batchRows > 0, "a record batch must be allowed at least one row")
        self.schema = schema
        self.sink = sink
        self.container = container
        self.batchRows = batchRows
        if container == .file {
            self.sink.buffer.append(contentsOf: fileMagic)
            self.sink.appendZeros(2)
        }
        var builder = FlatBufferBuilder()
        let header = Self.buildSchema(schema, into: &builder)
        writeMessage(&builder, type: .schema, header: header, bodyLength: 0)
    }

    mutating func write(_ columns: [Column], rows: Range<Int>) throws(LarderError) {
        try schema.check(columns, rows: rows)
        var start = rows.lowerBound
        while start < rows.upperBound {
            var end = min(start + batchRows, rows.upperBound)
            while let column = Self.firstOverflowing(columns, rows: start..<end) {
                guard end - start > 1 else {
                    throw .invalidInput("row \(start) of column \(schema.names[column]) is over 2 GiB, more than Arrow's 32-bit offsets reach")
                }
                end = start + (end - start) / 2
            }
            try writeBatch(columns, rows: start..<end)
            start = end
        }
    }

    mutating func finish() throws(LarderError) {
        sink.appendLittleEndian(continuationMarker)
        sink.appendLittleEndian(UInt32(0))
        if container == .file {
            var builder = FlatBufferBuilder()
            let schemaTable = Self.buildSchema(schema, into: &builder)
            let dictionaries = builder.createStructVector(words: [], wordsPerStruct: 3)
            let batches = builder.createStructVector(words: blocks, wordsPerStruct: 3)
            builder.startTable() // Footer
            builder.add(slot: 0, metadataVersion)
            builder.add(slot: 1, schemaTable)
            builder.add(slot: 2, dictionaries)
            builder.add(slot: 3, batches)
            let footer = builder.finish(root: builder.endTable())
            sink.buffer.append(contentsOf: footer)
            sink.appendLittleEndian(Int32(footer.count))
            sink.buffer.append(contentsOf: fileMagic)
        }
        try sink.close()
    }

    // MARK: Messages

    /// The kinds of message written (the `MessageHeader` union's type codes).
    private enum MessageType: UInt8 {
        case schema = 1
        case recordBatch = 3
    }

    /// Finishes a `Message` around `header` in `builder` and writes it with
    /// its prefix and padding; returns the metadata length, prefix included.
    @discardableResult
    private mutating func writeMessage(
        _ builder: inout FlatBufferBuilder, type: MessageType, header: FlatBufferBuilder.Offset, bodyLength: Int
    ) -> Int {
        builder.startTable() // Message
        builder.add(slot: 0, metadataVersion)
        builder.add(slot: 1, type.rawValue)
        builder.add(slot: 2, header)
        builder.add(slot: 3, Int64(bodyLength))
        let metadata = builder.finish(root: builder.endTable())
        let padded = Self.padded(metadata.count)
        sink.appendLittleEndian(continuationMarker)
        sink.appendLittleEndian(Int32(padded))
        sink.buffer.append(contentsOf: metadata)
        sink.appendZeros(padded - metadata.count)
        return 8 + padded
    }

    /// Writes rows `rows` of `columns` as one record batch message.
    private mutating func writeBatch(_ columns: [Column], rows: Range<Int>) throws(LarderError) {
        let count = rows.count
        var nodes: [Int64] = []       // length, null count per field node
        var buffers: [Int64] = []     // offset, length per buffer
        var nullCounts: [Int] = []
        var bodyLength = 0
        func addBuffer(_ length: Int) {
            buffers.append(Int64(bodyLength))
            buffers.append(Int64(length))
            bodyLength += Self.padded(length)
        }
        for column in columns {
            let nulls = column.validity.clearCount(in: rows)
            nullCounts.append(nulls)
            nodes.append(Int64(count))
            nodes.append(Int64(nulls))
            addBuffer(nulls > 0 ? (count + 7) / 8 : 0)
            switch column.type {
            case .int64, .timestamp, .float64:
                addBuffer(8 * count)
            case .bool:
                addBuffer((count + 7) / 8)
            case .string, .bytes:
                addBuffer(4 * (count + 1))
                addBuffer(column.offsets[rows.upperBound] - column.offsets[rows.lowerBound])
            case .vector(let dimension):
                nodes.append(Int64(count * dimension))
                nodes.append(0)
                addBuffer(0)
                addBuffer(4 * count * dimension)
            }
        }

        var builder = FlatBufferBuilder()
        let nodeVector = builder.createStructVector(words: nodes, wordsPerStruct: 2)
        let bufferVector = builder.createStructVector(words: buffers, wordsPerStruct: 2)
        builder.startTable() // RecordBatch
        builder.add(slot: 0, Int64(count))
        builder.add(slot: 1, nodeVector)
        builder.add(slot: 2, bufferVector)
        let batch = builder.endTable()
        let offset = sink.position
        let metadataLength = writeMessage(&builder, type: .recordBatch, header: batch, bodyLength: bodyLength)
        blocks.append(Int64(offset))
        blocks.append(Int64(metadataLength))
        blocks.append(Int64(bodyLength))

        let bodyStart = sink.position
        for (column, nulls) in zip(columns, nullCounts) {
            try writeBuffers(of: column, rows: rows, hasNulls: nulls > 0)
        }
        assert(sink.position - bodyStart == bodyLength, "record batch body does not match its metadata")
    }

    // MARK: Body buffers

    /// Writes the buffers of one column, in the order of its metadata.
    private mutating func writeBuffers(of column: Column, rows: Range<Int>, hasNulls: Bool) throws(LarderError) {
        if hasNulls { try writeValidity(column.validity, rows: rows) }
        switch column.type {
        case .int64, .timestamp:
            try writeElements(of: column.ints, from: rows.lowerBound, count: rows.count)
        case .float64:
            try writeElements(of: column.doubles, from: rows.lowerBound, count: rows.count)
        case .bool:
            var byte: UInt8 = 0
            for (i, row) in rows.enumerated() {
                if column.bools[row] { byte |= 1 << UInt8(i & 7) }
                if i & 7 == 7 {
                    sink.buffer.append(byte)
                    byte = 0
                }
            }
            if rows.count & 7 != 0 { sink.buffer.append(byte) }
            try pad((rows.count + 7) / 8)
        case .string, .bytes:
            let base = column.offsets[rows.lowerBound]
            for row in rows.lowerBound...rows.upperBound {
                sink.appendLittleEndian(Int32(column.offsets[row] - base))
            }
            try pad(4 * (rows.count + 1))
            try writeElements(of: column.bytes, from: base, count: column.offsets[rows.upperBound] - base)
        case .vector(let dimension):
            try writeElements(of: column.floats, from: rows.lowerBound * dimension, count: rows.count * dimension)
        }
    }

    /// Writes the validity bits of `rows`, padded.
    private mutating func writeValidity(_ validity: Bitmap, rows: Range<Int>) throws(LarderError) {
        let length = (rows.count + 7) / 8
        var remaining = length
        validity.forEachWord(in: rows) { word in
            withUnsafeBytes(of: word.littleEndian) { sink.buffer.append(contentsOf: $0.prefix(remaining)) }
            remaining -= 8
        }
        try pad(length)
    }

    /// Writes `count` elements of `array` from `start` as they lie in
    /// memory, padded.
    private mutating func writeElements<T>(of array: [T], from start: Int, count: Int) throws(LarderError) {
        let stride = MemoryLayout<T>.stride
        try array.withUnsafeBytes { bytes in
            Result { () throws(LarderError) in
                try sink.append(UnsafeRawBufferPointer(rebasing: bytes[(start * stride)..<((start + count) * stride)]))
            }
        }.get()
        try pad(count * stride)
    }

    /// Writes the zeros that pad a buffer of `length` bytes to 8, then
    /// flushes if the sink is full.
    private mutating func pad(_ length: Int) throws(LarderError) {
        sink.appendZeros(Self.padded(length) - length)
        try sink.flushIfFull()
    }

    /// `length` rounded up to a multiple of 8.
    private static func padded(_ length: Int) -> Int { (length + 7) & ~7 }

    /// The first string or bytes column whose data in `rows` is beyond the
    /// reach of 32-bit offsets.
    private static func firstOverflowing(_ columns: [Column], rows: Range<Int>) -> Int? {
        columns.firstIndex { column in
            switch column.type {
            case .string, .bytes: column.offsets[rows.upperBound] - column.offsets[rows.lowerBound] > Int(Int32.max)
            default: false
            }
        }
    }

    // MARK: Schema

    /// The Arrow types written, as the schema describes them.
    private enum ArrowType: Equatable {
        case int64, float64, float32, bool, utf8, binary, timestamp
        case fixedSizeList(Int)

        init(_ type: FeatureType) {
            switch type {
            case .int64: self = .int64
            case .float64: self = .float64
            case .bool: self = .bool
            case .string: self = .utf8
            case .bytes: self = .binary
            case .timestamp: self = .timestamp
            case .vector(let dimension): self = .fixedSizeList(dimension)
            }
        }
    }

    /// Builds the `Schema` table of `schema`.
    private static func buildSchema(_ schema: ExportSchema, into builder: inout FlatBufferBuilder) -> FlatBufferBuilder.Offset {
        var fields: [FlatBufferBuilder.Offset] = []
        for (name, type) in zip(schema.names, schema.types) {
            fields.append(buildField(name: name, type: ArrowType(type), into: &builder))
        }
        let fieldVector = builder.createVector(fields)
        builder.startTable() // Schema; endianness is left at its default, Little
        builder.add(slot: 1, fieldVector)
        return builder.endTable()
    }

    /// Builds a nullable `Field` table.
    private static func buildField(name: String, type: ArrowType, into builder: inout FlatBufferBuilder) -> FlatBufferBuilder.Offset {
        let nameString = builder.createString(name)
        var children: [FlatBufferBuilder.Offset] = []
        if case .fixedSizeList = type { children.append(buildField(name: "item", type: .float32, into: &builder)) }
        let childVector = builder.createVector(children)
        let (typeCode, typeTable) = buildType(type, into: &builder)
        builder.startTable() // Field
        builder.add(slot: 0, nameString)
        builder.add(slot: 1, true) // nullable
        builder.add(slot: 2, typeCode)
        builder.add(slot: 3, typeTable)
        builder.add(slot: 5, childVector)
        return builder.endTable()
    }

    /// Builds the table of `type`; returns it with its code in the `Type` union.
    private static func buildType(_ type: ArrowType, into builder: inout FlatBufferBuilder) -> (UInt8, FlatBufferBuilder.Offset) {
        switch type {
        case .int64:
            builder.startTable() // Int
            builder.add(slot: 0, Int32(64))
            builder.add(slot: 1, true)
            return (2, builder.endTable())
        case .float64, .float32:
            builder.startTable() // FloatingPoint; Precision: HALF, SINGLE, DOUBLE
            builder.add(slot: 0, Int16(type == .float64 ? 2 : 1))
            return (3, builder.endTable())
        case .binary:
            builder.startTable()
            return (4, builder.endTable())
        case .utf8:
            builder.startTable()
            return (5, builder.endTable())
        case .bool:
            builder.startTable()
            return (6, builder.endTable())
        case .timestamp:
            let zone = builder.createString("UTC")
            builder.startTable() // Timestamp; TimeUnit: SECOND, MILLISECOND, MICROSECOND, NANOSECOND
            builder.add(slot: 0, Int16(2))
            builder.add(slot: 1, zone)
            return (10, builder.endTable())
        case .fixedSizeList(let size):
            builder.startTable() // FixedSizeList
            builder.add(slot: 0, Int32(size))
            return (16, builder.endTable())
        }
    }
}

/// `ARROW1`, which starts (padded to 8 bytes) and ends the file container.
private let fileMagic: [UInt8] = Array("ARROW1".utf8)
/// The marker before each message's metadata length (and in end-of-stream).
private let continuationMarker = UInt32(0xFFFF_FFFF)
/// `MetadataVersion.V5`, the current version.
private let metadataVersion = Int16(4)
