/// Reads Arrow IPC input, the stream format or the file format, whole and in
/// memory, into typed columns (see docs/retrieval.md, "Arrow spines").
///
/// The stream is a sequence of messages, each a continuation marker
/// `0xFFFFFFFF` (absent in the legacy framing), the metadata's length (i32),
/// a `Message` FlatBuffer and its body; the first is the schema, then come
/// dictionary batches and record batches, until an end-of-stream marker
/// (length 0) or the end of the input. The file format is `ARROW1`, two bytes
/// of padding, the same stream, a footer, the footer's length and `ARROW1`;
/// its messages are read in order, and the footer is only checked to be there.
///
/// Little-endian and uncompressed only. Values become Larder's types: every
/// integer `int64`, floats `float64`, `bool`, strings (also dictionary
/// encoded ones, such as pandas categoricals) `string`, timestamps and dates
/// `timestamp` (microseconds, UTC; nanoseconds rounded down). Every offset
/// and length is checked before it is followed: malformed input is a
/// ``LarderError`` naming the message, column and row, never a crash.
enum ArrowIPCReader {
    /// The columns read, with their Arrow fields.
    struct ArrowColumns {
        /// The schema's columns.
        var fields: [ArrowField]
        /// Their values, in Larder's types.
        var frame: FeatureFrame
    }

    /// The magic that starts and ends the file format.
    static let fileMagic: [UInt8] = Array("ARROW1".utf8)

    /// Whether `prefix` (the input's first bytes) starts like Arrow IPC: the
    /// file magic, or a stream's continuation marker.
    static func looksLikeArrow(_ prefix: UnsafeRawBufferPointer) -> Bool {
        prefix.starts(with: fileMagic) || prefix.starts(with: [0xFF, 0xFF, 0xFF, 0xFF])
    }

    /// The format of `source`: ``IngestOptions/format`` when set, else
    /// Arrow when its first bytes are, else as its name says
    /// (``IngestOptions/resolvedFormat(for:)``).
    static func format(of source: ByteSource, options: IngestOptions) throws(LarderError) -> IngestOptions.Format {
        if let format = options.format { return format }
        while source.unconsumed.count < fileMagic.count, try source.fill() {}
        return looksLikeArrow(source.unconsumed) ? .arrow : options.resolvedFormat(for: source.path)
    }

    /// The table in `bytes`, called `name` in errors.
    static func read(_ bytes: [UInt8], name: String) throws(LarderError) -> ArrowColumns {
        var start = 0
        var end = bytes.count
        if bytes.starts(with: fileMagic) {
            let footerEnd = bytes.count - 10
            guard bytes.count >= 18, bytes[(bytes.count - 6)...].elementsEqual(fileMagic) else {
                throw .invalidInput("Arrow IPC \(name): the file does not end with ARROW1: it is truncated")
            }
            let footer = FlatBufferView(bytes: bytes, range: footerEnd..<(footerEnd + 4), place: "\(name), footer")
            let footerLength = Int(try footer.load(Int32.self, at: footerEnd))
            guard footerLength >= 0, footerLength <= footerEnd - 8 else {
                throw .invalidInput("Arrow IPC \(name): the footer's length \(footerLength) does not fit in the file")
            }
            start = 8
            end = footerEnd - footerLength
        }
        var fields: [ArrowField]?
        var columns: [Column] = []
        var dictionaries: [Int64: Column] = [:]
        var rows = 0
        var position = start
        var number = 0
        while position < end {
            number += 1
            let place = "\(name), message \(number)"
            let frame = FlatBufferView(bytes: bytes, range: position..<end, place: place)
            guard end - position >= 4 else { throw frame.failure("the input ends inside the message's length") }
            var length = Int(try frame.load(Int32.self, at: position))
            position += 4
            if length == -1 {
                guard end - position >= 4 else { throw frame.failure("the input ends inside the message's length") }
                length = Int(try frame.load(Int32.self, at: position))
                position += 4
            }
            if length == 0 { break }
            guard length > 0, length <= end - position else {
                throw frame.failure("its metadata of \(length) bytes runs past the end of the input (\(end - position) bytes left)")
            }
            let (message, bodyLength) = try ArrowMessage.parse(FlatBufferView(bytes: bytes, range: position..<(position + length), place: place))
            position += length
            guard bodyLength <= end - position else {
                throw frame.failure("its body of \(bodyLength) bytes runs past the end of the input (\(end - position) bytes left)")
            }
            let body = position
            position += bodyLength
            switch message {
            case .schema(let schema):
                guard fields == nil else { throw frame.failure("a second schema") }
                var seen: Set<String> = []
                for field in schema where !seen.insert(field.name).inserted {
                    throw frame.failure("two columns are named \"\(field.name)\"")
                }
                fields = schema
                columns = schema.map { Column(type: $0.type.featureType) }
            case .dictionary(let id, let batch, let delta):
                guard let field = fields?.first(where: { $0.dictionary?.id == id }) else {
                    throw frame.failure("dictionary \(id) belongs to no column of the schema")
                }
                var values = delta ? dictionaries[id] ?? Column(type: field.type.featureType) : Column(type: field.type.featureType)
                var plain = field
                plain.dictionary = nil
                var decoder = ArrowColumnDecoder(bytes: bytes, body: body, batch: batch, place: place, firstRow: 0)
                try decoder.decode(plain, dictionaries: [:], into: &values)
                dictionaries[id] = values
            case .batch(let batch):
                guard let fields else { throw frame.failure("a record batch before the schema") }
                guard batch.nodes.count == fields.count else {
                    throw frame.failure("the batch has \(batch.nodes.count) columns; the schema has \(fields.count)")
                }
                var decoder = ArrowColumnDecoder(bytes: bytes, body: body, batch: batch, place: place, firstRow: rows)
                for (i, field) in fields.enumerated() { try decoder.decode(field, dictionaries: dictionaries, into: &columns[i]) }
                rows += batch.length
            }
        }
        guard let fields else { throw .invalidInput("Arrow IPC \(name): the input has no schema") }
        return ArrowColumns(fields: fields, frame: FeatureFrame(names: fields.map(\.name), columns: columns))
    }
}
