import Foundation
import Testing
@testable import Larder

/// The CSV, JSON Lines and Arrow writers: exact bytes, Arrow structure, and
/// a round trip through pyarrow.
@Suite struct ExportTests {
    // MARK: Frames

    /// Microseconds for RFC 3339 `text`.
    static func micros(_ text: String) -> Int64 {
        guard case .success(let value) = Timestamp.parse(text) else { fatalError("bad timestamp \(text)") }
        return value
    }

    /// Eight rows of every type, with nulls, empty values, quoting and
    /// escaping cases, non-finite and extreme numbers.
    static func smallFrame() throws -> FeatureFrame {
        let names = ["id", "score", "ok", "name", "blob", "at", "emb"]
        let types: [FeatureType] = [.int64, .float64, .bool, .string, .bytes, .timestamp, .vector(dimension: 2)]
        let n = FeatureValue.null
        let rows: [[FeatureValue]] = [
            [.int64(1), .float64(1.0), .bool(true), .string("plain"), .bytes([0x00, 0xFF, 0x10]),
             .timestamp(Timestamp(microseconds: micros("2026-11-26T10:00:00Z"))), .vector([0.5, 1.25])],
            [n, n, n, n, n, n, n],
            [.int64(.min), .float64(.nan), .bool(false), .string(""), .bytes([]),
             .timestamp(Timestamp(microseconds: micros("1969-12-31T23:59:59.999999Z"))), .vector([-0.0, .infinity])],
            [.int64(.max), .float64(-0.0), .bool(true), .string("a,b \"q\"\nline"), .bytes([0x61]),
             .timestamp(Timestamp(microseconds: micros("1900-02-28T12:34:56.789Z"))), .vector([.nan, -.infinity])],
            [.int64(0), .float64(0.1), .bool(false), .string("naïve 東京 🙂"), .bytes([1, 2]),
             .timestamp(0), .vector([1e-5, 3])],
            [.int64(-42), .float64(1e16), .bool(true), .string("tab\there\u{1}"), .bytes([0xFB, 0xFF]),
             .timestamp(Timestamp(microseconds: micros("2000-02-29T00:00:00.000001Z"))), .vector([0, 0])],
            [.int64(7), .float64(-.infinity), n, .string("crlf\r\n"), n, n, .vector([2, -2])],
            [.int64(8), .float64(.leastNonzeroMagnitude), .bool(true), .string("back\\slash"), .bytes([]),
             .timestamp(1), .vector([0.1, -1.5])],
        ]
        var columns = types.map { Column(type: $0) }
        for row in rows {
            for (c, value) in row.enumerated() { try columns[c].append(value) }
        }
        return FeatureFrame(names: names, columns: columns)
    }

    /// `count` generated rows of every type with nulls in every nullable
    /// column at different periods, so validity bits cross word boundaries
    /// at every batch offset; `id` and `label` have no nulls.
    static func generatedFrame(rows count: Int) throws -> FeatureFrame {
        let names = ["id", "label", "count", "score", "ok", "name", "blob", "at", "emb"]
        let types: [FeatureType] = [.int64, .string, .int64, .float64, .bool, .string, .bytes, .timestamp, .vector(dimension: 3)]
        let specials: [Double] = [.nan, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 1.0, 0.1]
        let words = ["naïve", "東京", "a,b\"c\nd", "🙂 emoji", "plain"]
        var columns = types.map { Column(type: $0, capacity: count) }
        for i in 0..<count {
            let values: [FeatureValue] = [
                .int64(Int64(i)),
                .string("row \(i)"),
                i % 5 == 1 ? .null : .int64(i == 0 ? .min : i == 2 ? .max : Int64(i * 7919 - 5000) * 1_000_000_007),
                i % 6 == 2 ? .null : .float64(i < specials.count ? specials[i] : Double(i) * -0.37),
                i % 4 == 3 ? .null : .bool(i % 3 == 0),
                i % 7 == 4 ? .null : i % 7 == 0 ? .string("") : .string(words[i % words.count]),
                i % 8 == 5 ? .null : i % 8 == 0 ? .bytes([]) : .bytes([UInt8(i & 255), 0, 255, UInt8(i % 7)]),
                i % 9 == 6 ? .null : .timestamp(Timestamp(microseconds: -315_619_200_000_000 + Int64(i) * 3_600_000_123)),
                i % 10 == 7 ? .null : .vector([Float(i) * 0.5, -Float(i), i % 2 == 0 ? .nan : 1e-3]),
            ]
            for (c, value) in values.enumerated() { try columns[c].append(value) }
        }
        return FeatureFrame(names: names, columns: columns)
    }

    /// What a writer of `format` writes for `frame` to a memory sink (an
    /// Arrow file, in one record batch).
    static func memoryOutput(_ format: OutputFormat, _ frame: FeatureFrame) throws -> [UInt8] {
        let schema = ExportSchema(names: frame.names, types: frame.columns.map(\.type))
        switch format {
        case .csv:
            var writer = CSVWriter(schema: schema, sink: .memory())
            try writer.write(frame)
            try writer.finish()
            return writer.sink.buffer
        case .jsonl:
            var writer = JSONLinesWriter(schema: schema, sink: .memory())
            try writer.write(frame)
            try writer.finish()
            return writer.sink.buffer
        case .arrow:
            var writer = ArrowWriter(schema: schema, sink: .memory(), container: .file)
            try writer.write(frame)
            try writer.finish()
            return writer.sink.buffer
        }
    }

    /// The text in a memory sink.
    static func text(_ sink: ByteSink) -> String {
        String(decoding: sink.buffer, as: UTF8.self)
    }

    // MARK: CSV

    @Test func csvBytesAreExact() throws {
        let output = try Self.memoryOutput(.csv, Self.smallFrame())
        let expected = """
            id,score,ok,name,blob,at,emb
            1,1.0,true,plain,AP8Q,2026-11-26T10:00:00.000000Z,"[0.5,1.25]"
            ,,,,,,
            -9223372036854775808,NaN,false,"","",1969-12-31T23:59:59.999999Z,"[-0.0,inf]"
            9223372036854775807,-0.0,true,"a,b ""q""
            line",YQ==,1900-02-28T12:34:56.789000Z,"[NaN,-inf]"
            0,0.1,false,naïve 東京 🙂,AQI=,1970-01-01T00:00:00.000000Z,"[1e-05,3.0]"
            -42,1e+16,true,tab\there\u{1},+/8=,2000-02-29T00:00:00.000001Z,"[0.0,0.0]"
            7,-inf,,"crlf\r\n",,,"[2.0,-2.0]"
            8,5e-324,true,back\\slash,"",1970-01-01T00:00:00.000001Z,"[0.1,-1.5]"

            """
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    @Test func csvHeaderIsQuotedAndRowRangesAppend() throws {
        let frame = try Self.smallFrame()
        let schema = ExportSchema(names: ["a,b", "", "x"], types: [.int64, .float64, .bool])
        let columns = Array(frame.columns[0..<3])
        var writer = CSVWriter(schema: schema, sink: .memory())
        try writer.write(columns, rows: 0..<1)
        try writer.write(columns, rows: 4..<6)
        try writer.write(columns, rows: 6..<6)
        try writer.finish()
        #expect(Self.text(writer.sink) == "\"a,b\",\"\",x\n1,1.0,true\n0,0.1,false\n-42,1e+16,true\n")
    }

    @Test func csvOfNoRowsIsTheHeader() throws {
        var writer = CSVWriter(schema: ExportSchema(names: ["id", "at"], types: [.int64, .timestamp]), sink: .memory())
        try writer.finish()
        #expect(Self.text(writer.sink) == "id,at\n")
    }

    @Test func csvOfOneColumnWritesNullsAsEmptyLines() throws {
        var column = Column(type: .string)
        column.appendNull()
        column.append("")
        column.appendNull()
        var writer = CSVWriter(schema: ExportSchema(names: ["s"], types: [.string]), sink: .memory())
        try writer.write([column], rows: 0..<3)
        try writer.finish()
        #expect(Self.text(writer.sink) == "s\n\n\"\"\n\n")
    }

    @Test func textOutputDoesNotDependOnHowRowsAreSplit() throws {
        let frame = try Self.generatedFrame(rows: 2500)
        let schema = ExportSchema(names: frame.names, types: frame.columns.map(\.type))
        var csvWhole = CSVWriter(schema: schema, sink: .memory())
        var csvRows = CSVWriter(schema: schema, sink: .memory())
        var jsonWhole = JSONLinesWriter(schema: schema, sink: .memory())
        var jsonRows = JSONLinesWriter(schema: schema, sink: .memory())
        try csvWhole.write(frame)
        try jsonWhole.write(frame)
        for row in 0..<frame.rowCount {
            try csvRows.write(frame, rows: row..<(row + 1))
            try jsonRows.write(frame, rows: row..<(row + 1))
        }
        #expect(csvWhole.sink.buffer == csvRows.sink.buffer)
        #expect(jsonWhole.sink.buffer == jsonRows.sink.buffer)
        #expect(Self.text(csvWhole.sink).hasSuffix("\n2499,row 2499,19784581138492067,-924.63,,\"\",wwD/AA==,,\"[1249.5,-2499.0,0.001]\"\n"))
        #expect(Self.text(jsonWhole.sink).split(separator: "\n").count == 2500)
    }

    // MARK: JSON Lines

    @Test func jsonLinesBytesAreExact() throws {
        let output = String(decoding: try Self.memoryOutput(.jsonl, Self.smallFrame()), as: UTF8.self)
        let expected = #"""
            {"id":1,"score":1.0,"ok":true,"name":"plain","blob":"AP8Q","at":"2026-11-26T10:00:00.000000Z","emb":[0.5,1.25]}
            {"id":null,"score":null,"ok":null,"name":null,"blob":null,"at":null,"emb":null}
            {"id":-9223372036854775808,"score":"NaN","ok":false,"name":"","blob":"","at":"1969-12-31T23:59:59.999999Z","emb":[-0.0,"Infinity"]}
            {"id":9223372036854775807,"score":-0.0,"ok":true,"name":"a,b \"q\"\nline","blob":"YQ==","at":"1900-02-28T12:34:56.789000Z","emb":["NaN","-Infinity"]}
            {"id":0,"score":0.1,"ok":false,"name":"naïve 東京 🙂","blob":"AQI=","at":"1970-01-01T00:00:00.000000Z","emb":[1e-05,3.0]}
            {"id":-42,"score":1e+16,"ok":true,"name":"tab\there\u0001","blob":"+/8=","at":"2000-02-29T00:00:00.000001Z","emb":[0.0,0.0]}
            {"id":7,"score":"-Infinity","ok":null,"name":"crlf\r\n","blob":null,"at":null,"emb":[2.0,-2.0]}
            {"id":8,"score":5e-324,"ok":true,"name":"back\\slash","blob":"","at":"1970-01-01T00:00:00.000001Z","emb":[0.1,-1.5]}

            """#
        #expect(output == expected)
        for line in output.split(separator: "\n") {
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(line.utf8)) }
        }
    }

    @Test func jsonKeysAreEscaped() throws {
        var writer = JSONLinesWriter(schema: ExportSchema(names: ["a\"b", "c"], types: [.int64, .bool]), sink: .memory())
        var a = Column(type: .int64)
        a.append(Int64(3))
        var b = Column(type: .bool)
        b.append(true)
        try writer.write([a, b], rows: 0..<1)
        try writer.finish()
        #expect(Self.text(writer.sink) == "{\"a\\\"b\":3,\"c\":true}\n")
    }

    // MARK: Read back

    /// What a CSV or JSON Lines export writes, a backfill reads back as the
    /// values it was written from: every type, nulls, text that looks like
    /// numbers, and non-finite numbers in floats and in vectors' elements.
    @Test(arguments: [OutputFormat.csv, .jsonl])
    func anExportReadsBackAsTheValuesItHolds(format: OutputFormat) throws {
        let dir = TemporaryDirectory()
        let definitions = try Definitions.parse(yaml: everyTypeDefinitions(nanInVectors: true), file: "defs.yaml")
        let specials: [Double] = [.nan, .infinity, -.infinity, -0.0, 0.1, .leastNonzeroMagnitude, 1e300]
        let types: [FeatureType] = [.int64, .float64, .bool, .string, .bytes, .timestamp, .vector(dimension: 3)]
        var columns = [Column(type: .int64), Column(type: .timestamp)] + types.map { Column(type: $0) }
        for row in 0..<200 {
            let special = specials[row % specials.count]
            let values: [FeatureValue] = [
                .int64(Int64(row)), .timestamp(Timestamp(microseconds: Int64(row) * 1_000_003 - 5_000_000)),
                .int64(Int64(row) * 7919 - 1_000_000), .float64(row % 3 == 0 ? special : Double(row) / 3), .bool(row % 2 == 0),
                .string(["a,b \"q\"\nline", "naïve 東京 🙂", "NaN", "[0.5]", "-1e3"][row % 5]),
                .bytes((0..<(row % 4)).map { UInt8(truncatingIfNeeded: row * 31 + $0) }),
                .timestamp(Timestamp(microseconds: Int64(row) * -86_400_000_123)),
                .vector([Float(special), Float(row) * 0.1, -Float(row) / 3]),
            ]
            for (c, value) in values.enumerated() { try columns[c].append(row % 11 == 5 && c >= 2 ? .null : value) }
        }
        let written = FeatureFrame(names: ["id", "event_timestamp", "i", "f", "b", "s", "raw", "t", "e"], columns: columns)
        let source = try FeatureStore(path: dir.file("source.db"))
        try source.apply(definitions)
        try source.write(view: "typed", frame: written)
        let file = dir.file("typed.\(format.rawValue)")
        try source.export(view: "typed", format: format, to: .file(file))

        let target = try FeatureStore(path: dir.file("target.db"))
        try target.apply(definitions)
        var options = IngestOptions()
        options.ignoreUnknownColumns = true
        _ = try target.backfill(view: "typed", input: .file(file), options: options)
        var read: [Int64: [FeatureValue]] = [:]
        try target.withReader { state in
            try state.session.scan(try state.registry.view("typed", version: nil), from: nil, to: nil, asOf: nil, batchRows: 64) { batch in
                for row in 0..<batch[0].count { read[batch[0].ints[row]] = batch[4...].map { $0.value(row) } }
                return true
            }
        }
        /// Equal, with a NaN equal to a NaN (in a float or in a vector's element); a
        /// `float64` zero's sign is checked apart, below.
        func same(_ a: FeatureValue, _ b: FeatureValue) -> Bool {
            switch (a, b) {
            case (.float64(let x), .float64(let y)): x.isNaN ? y.isNaN : x == y
            case (.vector(let x), .vector(let y)): x.count == y.count && zip(x, y).allSatisfy { $0.isNaN ? $1.isNaN : $0.bitPattern == $1.bitPattern }
            default: a == b
            }
        }
        #expect(read.count == 200)
        for row in 0..<200 {
            let expected = columns[2...].map { $0.value(row) }
            let got = read[Int64(row)] ?? []
            #expect(got.count == expected.count && zip(got, expected).allSatisfy(same), "row \(row): \(got) for \(expected)")
        }
        // A REAL column of SQLite stores an integral value as an integer (an optimisation it
        // always makes), so a float64 -0.0 comes back as 0.0, before any export (docs/architecture.md).
        withKnownIssue("SQLite stores a float64 -0.0 as the integer 0") {
            for row in 0..<200 where columns[3].validity[row] && columns[3].doubles[row] == 0 && columns[3].doubles[row].sign == .minus {
                #expect(read[Int64(row)].map { if case .float64(let v) = $0[1] { v.sign == .minus } else { false } } == true, "row \(row)")
            }
        }
    }

    // MARK: Schema checks and files

    @Test func mismatchedColumnsAreRefused() throws {
        let frame = try Self.smallFrame()
        var writer = CSVWriter(schema: ExportSchema(names: ["id", "score"], types: [.int64, .int64]), sink: .memory())
        #expect(throws: LarderError.self) { try writer.write(Array(frame.columns[0..<2]), rows: 0..<1) }
        #expect(throws: LarderError.self) { try writer.write(Array(frame.columns[0..<1]), rows: 0..<1) }
        var arrow = ArrowWriter(schema: ExportSchema(names: ["id"], types: [.int64]), sink: .memory(), container: .stream)
        #expect(throws: LarderError.self) { try arrow.write(Array(frame.columns[0..<1]), rows: 0..<99) }
    }

    @Test func writersWriteFilesAndReportUnwritablePaths() throws {
        let dir = TemporaryDirectory()
        let frame = try Self.smallFrame()
        for format in OutputFormat.allCases {
            let path = dir.file("out.\(format.rawValue)")
            var writer = try format.makeWriter(to: .file(path), names: frame.names, types: frame.columns.map(\.type))
            try writer.write(frame)
            try writer.finish()
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(bytes == (try Self.memoryOutput(format, frame)), "\(format) file differs from the output in memory")
        }
        let error = #expect(throws: LarderError.self) {
            _ = try OutputFormat.csv.makeWriter(to: .file(dir.file("missing/out.csv")), names: [], types: [])
        }
        #expect(error?.category == .io)
        #expect(error?.path?.hasSuffix("missing/out.csv") == true && error?.message.contains("No such file") == true, "\(String(describing: error))")
    }

    @Test func largeOutputIsFlushedInChunks() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("big.csv")
        var column = Column(type: .string)
        let value = String(repeating: "x", count: 1000)
        for _ in 0..<3000 { column.append(value) }
        var writer = try OutputFormat.csv.makeWriter(to: .file(path), names: ["s"], types: [.string])
        try writer.write([column], rows: 0..<3000)
        try writer.finish()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == 2 + 3000 * 1001)
    }

    // MARK: Arrow structure

    @Test func arrowFileIsWellFormed() throws {
        let frame = try Self.generatedFrame(rows: 150)
        var writer = ArrowWriter(schema: ExportSchema(names: frame.names, types: frame.columns.map(\.type)),
                                 sink: .memory(), container: .file, batchRows: 64)
        try writer.write(frame)
        try writer.finish()
        let bytes = writer.sink.buffer
        let reader = FlatBufferReader(bytes: bytes)

        #expect(Array(bytes.prefix(8)) == Array("ARROW1\0\0".utf8))
        #expect(Array(bytes.suffix(6)) == Array("ARROW1".utf8))
        let footerLength = Int(reader.int32(at: bytes.count - 10))
        let footerStart = bytes.count - 10 - footerLength
        #expect(footerLength > 0 && footerStart % 8 == 0)

        let messages = try Self.walkMessages(reader, from: 8)
        #expect(messages.end == footerStart, "the end-of-stream marker is right before the footer")
        #expect(messages.list.map(\.type) == [1, 3, 3, 3], "a schema, then 150 rows in batches of 64")
        #expect(messages.list.dropFirst().map(\.rows) == [64, 64, 22])

        let footer = reader.root(at: footerStart)
        #expect(reader.int16(footer, slot: 0) == 4, "MetadataVersion V5")
        let blocks = try #require(reader.vector(footer, slot: 3))
        #expect(reader.vector(footer, slot: 2)?.count == 0)
        let batches = messages.list.filter { $0.type == 3 }
        #expect(blocks.count == batches.count)
        for (i, batch) in batches.enumerated() {
            let block = blocks.start + 24 * i
            #expect(block % 8 == 0)
            #expect(Int(reader.int64(at: block)) == batch.offset)
            #expect(Int(reader.int32(at: block + 8)) == batch.metadataLength)
            #expect(Int(reader.int64(at: block + 16)) == batch.bodyLength)
        }
        let schemaInFooter = try #require(reader.table(footer, slot: 1))
        #expect(reader.vector(schemaInFooter, slot: 1)?.count == frame.names.count)
    }

    @Test func wideArrowSchemasGrowTheMetadataBuilder() throws {
        let names = (0..<300).map { "feature_\($0)" }
        var column = Column(type: .int64)
        for v in [Int64(1), 2, 3] { column.append(v) }
        var writer = ArrowWriter(schema: ExportSchema(names: names, types: names.map { _ in .int64 }),
                                 sink: .memory(), container: .file)
        try writer.write(Array(repeating: column, count: names.count), rows: 0..<3)
        try writer.finish()
        let reader = FlatBufferReader(bytes: writer.sink.buffer)
        let bytes = reader.bytes
        let footerStart = bytes.count - 10 - Int(reader.int32(at: bytes.count - 10))
        #expect(try Self.walkMessages(reader, from: 8).end == footerStart)
        let schema = try #require(reader.table(reader.root(at: footerStart), slot: 1))
        let fields = try #require(reader.vector(schema, slot: 1))
        #expect(fields.count == 300)
        let last = fields.start + 4 * 299
        #expect(reader.string(last + Int(reader.int32(at: last)), slot: 0) == "feature_299")
    }

    @Test func arrowStreamIsWellFormed() throws {
        let frame = try Self.generatedFrame(rows: 20)
        var writer = ArrowWriter(schema: ExportSchema(names: frame.names, types: frame.columns.map(\.type)),
                                 sink: .memory(), container: .stream, batchRows: 7)
        try writer.write(frame)
        try writer.finish()
        let bytes = writer.sink.buffer
        let messages = try Self.walkMessages(FlatBufferReader(bytes: bytes), from: 0)
        #expect(messages.end == bytes.count)
        #expect(Array(bytes.suffix(8)) == [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(messages.list.map(\.type) == [1, 3, 3, 3])
        #expect(messages.list.dropFirst().map(\.rows) == [7, 7, 6])
    }

    /// One IPC message found by ``walkMessages(_:from:)``.
    struct Message {
        var offset: Int, metadataLength: Int, bodyLength: Int, type: UInt8, rows: Int
    }

    /// Reads framed messages from `start` up to the end-of-stream marker,
    /// checking framing and 8-byte alignment of messages and buffers.
    static func walkMessages(_ reader: FlatBufferReader, from start: Int) throws -> (list: [Message], end: Int) {
        var list: [Message] = []
        var position = start
        while true {
            try #require(position % 8 == 0 && position + 8 <= reader.bytes.count)
            try #require(reader.int32(at: position) == -1, "continuation marker at \(position)")
            let length = Int(reader.int32(at: position + 4))
            if length == 0 { return (list, position + 8) }
            #expect(length % 8 == 0)
            let message = reader.root(at: position + 8)
            let type = reader.uint8(message, slot: 1)
            let bodyLength = Int(reader.int64(message, slot: 3))
            var rows = 0
            if type == 3 {
                let batch = try #require(reader.table(message, slot: 2))
                rows = Int(reader.int64(batch, slot: 0))
                let buffers = try #require(reader.vector(batch, slot: 2))
                for i in 0..<buffers.count {
                    let offset = Int(reader.int64(at: buffers.start + 16 * i))
                    let size = Int(reader.int64(at: buffers.start + 16 * i + 8))
                    #expect(offset % 8 == 0 && offset + size <= bodyLength)
                }
            }
            list.append(Message(offset: position, metadataLength: 8 + length, bodyLength: bodyLength, type: type, rows: rows))
            position += 8 + length + bodyLength
        }
    }

    // MARK: pyarrow round trip

    @Test func arrowRoundTripsThroughPyarrow() throws {
        let python = try PyArrow.interpreter()
        let dir = TemporaryDirectory()
        let frame = try Self.generatedFrame(rows: 150)
        let empty = FeatureFrame(names: frame.names, columns: frame.columns.map { Column(type: $0.type) })
        let schema = ExportSchema(names: frame.names, types: frame.columns.map(\.type))
        var cases: [(path: String, frame: FeatureFrame, batches: Int)] = []
        for (name, data) in [("full", frame), ("empty", empty)] {
            for container in [ArrowWriter.Container.file, .stream] {
                let path = dir.file("\(name).\(container == .file ? "arrow" : "arrows")")
                var writer = ArrowWriter(schema: schema, sink: try ByteSink.open(.file(path)), container: container, batchRows: 7)
                try writer.write(data, rows: 0..<(data.rowCount / 2))
                try writer.write(data, rows: (data.rowCount / 2)..<data.rowCount)
                try writer.finish()
                cases.append((path, data, data.rowCount == 0 ? 0 : 22))
            }
        }
        let factoryPath = dir.file("factory.feather")
        var factoryWriter = try OutputFormat.arrow.makeWriter(to: .file(factoryPath), names: frame.names, types: schema.types)
        try factoryWriter.write(frame)
        try factoryWriter.finish()
        cases.append((factoryPath, frame, 1))

        let results = try Self.runPython(python, paths: cases.map(\.path), in: dir)
        try #require(results.count == cases.count)
        let expectedTypes = ["int64", "string", "int64", "double", "bool", "string", "binary",
                             "timestamp[us, tz=UTC]", "fixed_size_list<item: float>[3]"]
        for (result, expected) in zip(results, cases) {
            let label = URL(fileURLWithPath: expected.path).lastPathComponent
            #expect(result.names == frame.names, "\(label)")
            #expect(result.types == expectedTypes, "\(label)")
            #expect(result.nullable.allSatisfy { $0 }, "\(label)")
            #expect(result.rows == expected.frame.rowCount, "\(label)")
            #expect(result.batches == expected.batches, "\(label)")
            for (c, column) in expected.frame.columns.enumerated() {
                let actual = result.columns[c]
                try #require(actual.count == column.count, "\(label) column \(frame.names[c])")
                for row in 0..<column.count {
                    #expect(actual[row] == Self.pythonSpelling(column, row: row),
                            "\(label) column \(frame.names[c]) row \(row)")
                }
            }
            if let pandasRows = result.pandasRows {
                #expect(pandasRows == expected.frame.rowCount, "\(label) read by pandas")
            }
        }
    }

    /// A value as the Python script spells it: integers in decimal, floats
    /// as their IEEE bit pattern in hex, bytes in hex, null as `nil`.
    static func pythonSpelling(_ column: Column, row: Int) -> PythonValue? {
        guard column.isValid(row) else { return nil }
        switch column.type {
        case .int64, .timestamp: return .scalar(String(column.ints[row]))
        case .float64: return .scalar(String(column.doubles[row].bitPattern, radix: 16))
        case .bool: return .scalar(column.bools[row] ? "true" : "false")
        case .string: return .scalar(column.string(row))
        case .bytes: return .scalar(column.byteSlice(row).map { String($0, radix: 16) }.joined(separator: " "))
        case .vector(let n): return .list(column.floats[(row * n)..<((row + 1) * n)].map { String($0.bitPattern, radix: 16) })
        }
    }

    /// One value printed by the Python script.
    enum PythonValue: Decodable, Equatable {
        case scalar(String)
        case list([String])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .scalar(text)
            } else {
                self = .list(try container.decode([String].self))
            }
        }
    }

    /// What the Python script reports for one file.
    struct PythonTable: Decodable {
        var names: [String], types: [String], nullable: [Bool]
        var rows: Int, batches: Int, pandasRows: Int?
        var columns: [[PythonValue?]]
    }

    /// Reads each Arrow file (`.arrow`, `.feather`: file format, with
    /// `pyarrow.feather.read_table`; `.arrows`: stream format, with
    /// `pyarrow.ipc.open_stream`) and prints one JSON object per file.
    static let pythonScript = #"""
        import json, struct, sys
        import pyarrow as pa, pyarrow.feather as feather, pyarrow.ipc as ipc
        try:
            import pandas
        except ImportError:
            pandas = None

        def spell(value, type):
            if value is None:
                return None
            if pa.types.is_timestamp(type):
                return str(value)
            if pa.types.is_floating(type):
                return format(struct.unpack("<Q", struct.pack("<d", value))[0], "x")
            if pa.types.is_boolean(type):
                return "true" if value else "false"
            if pa.types.is_binary(type):
                return " ".join(format(b, "x") for b in value)
            if pa.types.is_fixed_size_list(type):
                return [format(struct.unpack("<I", struct.pack("<f", v))[0], "x") for v in value]
            return str(value)

        results = []
        for path in sys.argv[1:]:
            if path.endswith(".arrows"):
                with open(path, "rb") as f:
                    reader = ipc.open_stream(f)
                    batches = list(reader)
                    table = pa.Table.from_batches(batches, schema=reader.schema)
                batch_count = len(batches)
                pandas_rows = None
            else:
                table = feather.read_table(path)
                batch_count = ipc.open_file(path).num_record_batches
                pandas_rows = len(pandas.read_feather(path)) if pandas else None
            table.validate(full=True)
            columns = []
            for field, column in zip(table.schema, table.columns):
                if pa.types.is_timestamp(field.type):
                    column = column.cast(pa.int64())
                columns.append([spell(v, field.type) for v in column.to_pylist()])
            results.append({
                "names": table.schema.names,
                "types": [str(f.type) for f in table.schema],
                "nullable": [f.nullable for f in table.schema],
                "rows": table.num_rows,
                "batches": batch_count,
                "pandasRows": pandas_rows,
                "columns": columns,
            })
        print(json.dumps(results))
        """#

    /// Runs ``pythonScript`` on `paths`, with its output in `dir`.
    static func runPython(_ python: String, paths: [String], in dir: TemporaryDirectory) throws -> [PythonTable] {
        let (status, output, errors) = try run(python, ["-c", pythonScript] + paths, in: dir)
        try #require(status == 0, "the pyarrow script failed:\n\(String(decoding: errors, as: UTF8.self))")
        return try JSONDecoder().decode([PythonTable].self, from: output)
    }

    /// Runs `executable` with `arguments`, its standard output and error
    /// going to files in `dir`; returns its status and both outputs.
    static func run(_ executable: String, _ arguments: [String], in dir: TemporaryDirectory) throws -> (Int32, Data, Data) {
        let outputPath = dir.file("stdout")
        let errorPath = dir.file("stderr")
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus,
                try Data(contentsOf: URL(fileURLWithPath: outputPath)),
                try Data(contentsOf: URL(fileURLWithPath: errorPath)))
    }
}

/// Reads the few FlatBuffers constructs the Arrow checks need.
struct FlatBufferReader {
    let bytes: [UInt8]

    func uint(at position: Int, size: Int) -> UInt64 {
        (0..<size).reduce(0) { $0 | UInt64(bytes[position + $1]) << (8 * UInt64($1)) }
    }
    func int64(at position: Int) -> Int64 { Int64(bitPattern: uint(at: position, size: 8)) }
    func int32(at position: Int) -> Int32 { Int32(truncatingIfNeeded: uint(at: position, size: 4)) }

    /// The root table of the flatbuffer that starts at `start`.
    func root(at start: Int) -> Int { start + Int(uint(at: start, size: 4)) }

    /// Where field `slot` of the table at `table` is, if present.
    func field(_ table: Int, slot: Int) -> Int? {
        let vtable = table - Int(int32(at: table))
        let entry = 4 + 2 * slot
        guard entry < Int(uint(at: vtable, size: 2)) else { return nil }
        let offset = Int(uint(at: vtable + entry, size: 2))
        return offset == 0 ? nil : table + offset
    }

    func uint8(_ table: Int, slot: Int) -> UInt8 { field(table, slot: slot).map { bytes[$0] } ?? 0 }
    func int16(_ table: Int, slot: Int) -> Int16 { field(table, slot: slot).map { Int16(truncatingIfNeeded: uint(at: $0, size: 2)) } ?? 0 }
    func int64(_ table: Int, slot: Int) -> Int64 { field(table, slot: slot).map { int64(at: $0) } ?? 0 }

    /// The table that field `slot` refers to.
    func table(_ table: Int, slot: Int) -> Int? {
        field(table, slot: slot).map { $0 + Int(uint(at: $0, size: 4)) }
    }

    /// The string field `slot` refers to.
    func string(_ table: Int, slot: Int) -> String? {
        vector(table, slot: slot).map { String(decoding: bytes[$0.start..<($0.start + $0.count)], as: UTF8.self) }
    }

    /// The element count and first element of the vector field `slot` refers to.
    func vector(_ table: Int, slot: Int) -> (count: Int, start: Int)? {
        self.table(table, slot: slot).map { (Int(uint(at: $0, size: 4)), $0 + 4) }
    }
}
