import Foundation
import Testing
@testable import Larder

/// The CSV and JSON Lines readers: splitting input into untyped fields.
@Suite struct RawReaderTests {
    // MARK: - Helpers

    /// Writes `text` to a fresh temporary file and returns its path.
    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("larder-raw-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// A field as a test reads it: text as is, other kinds tagged.
    func render(_ kind: FieldKind, _ bytes: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        switch kind {
        case .missing: return "<missing>"
        case .null: return "<null>"
        case .text: return text
        case .number: return "n:" + text
        case .boolean: return "b:" + text
        case .array: return "a:" + text
        }
    }

    /// Everything read from an input: rows (rendered), their lines, raw
    /// records when kept, and bad records.
    struct Output: Equatable {
        var header: [String] = []
        var rows: [[String]] = []
        var lines: [Int] = []
        var raw: [String] = []
        var bad: [ValidationProblem] = []
        var badRaw: [String] = []
        var batches = 0
    }

    /// Appends the contents of `batch` to `output`.
    func collect(_ batch: RawBatch, into output: inout Output) {
        output.batches += 1
        for row in 0 ..< batch.rowCount {
            output.rows.append((0 ..< batch.columnCount).map { column in
                batch.withField(row: row, column: column) { render($0, $1) }
            })
            if let raw = batch.rawRecord(row: row) { output.raw.append(String(decoding: raw, as: UTF8.self)) }
        }
        output.lines += batch.lines
        output.bad += batch.badRecords.map(\.problem)
        output.badRaw += batch.badRecords.map { String(decoding: $0.raw, as: UTF8.self) }
    }

    /// Reads CSV `text` through a temporary file.
    func readCSV(_ text: String, chunkSize: Int = ByteSource.defaultChunkSize, maxRows: Int = 1000,
                        keepRaw: Bool = false, maxFieldBytes: Int = CSVReader.defaultMaxFieldBytes) throws -> Output {
        try readCSV(bytes: Array(text.utf8), chunkSize: chunkSize, maxRows: maxRows, keepRaw: keepRaw,
                    maxFieldBytes: maxFieldBytes)
    }

    /// Reads CSV `bytes` through a temporary file.
    func readCSV(bytes: [UInt8], chunkSize: Int = ByteSource.defaultChunkSize, maxRows: Int = 1000,
                        keepRaw: Bool = false, maxFieldBytes: Int = CSVReader.defaultMaxFieldBytes) throws -> Output {
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = CSVReader(source: try ByteSource(path: path, chunkSize: chunkSize), fileName: "in.csv",
                               keepRawRecords: keepRaw, maxFieldBytes: maxFieldBytes)
        var output = Output()
        output.header = try reader.readHeader()
        var batch = RawBatch()
        while try reader.next(into: &batch, maxRows: maxRows) {
            #expect(batch.rowCount + batch.badRecords.count <= maxRows)
            collect(batch, into: &output)
        }
        #expect(batch.isEmpty)
        #expect(reader.bytesRead == bytes.count)
        #expect(reader.totalBytes == bytes.count)
        return output
    }

    /// Reads JSON Lines `text` through a temporary file.
    func readJSONL(_ text: String, columns: [String], ignoreUnknown: Bool = false,
                          chunkSize: Int = ByteSource.defaultChunkSize, maxRows: Int = 1000,
                          keepRaw: Bool = false) throws -> Output {
        try readJSONL(bytes: Array(text.utf8), columns: columns, ignoreUnknown: ignoreUnknown,
                      chunkSize: chunkSize, maxRows: maxRows, keepRaw: keepRaw)
    }

    /// Reads JSON Lines `bytes` through a temporary file.
    func readJSONL(bytes: [UInt8], columns: [String], ignoreUnknown: Bool = false,
                          chunkSize: Int = ByteSource.defaultChunkSize, maxRows: Int = 1000,
                          keepRaw: Bool = false) throws -> Output {
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = JSONLinesReader(source: try ByteSource(path: path, chunkSize: chunkSize), fileName: "in.jsonl",
                                     columns: columns, ignoreUnknownKeys: ignoreUnknown, keepRawRecords: keepRaw)
        var output = Output()
        output.header = columns
        var batch = RawBatch()
        while try reader.next(into: &batch, maxRows: maxRows) {
            #expect(batch.rowCount + batch.badRecords.count <= maxRows)
            collect(batch, into: &output)
        }
        #expect(reader.bytesRead == bytes.count)
        return output
    }

    /// The problem of a validation error thrown by `body`, or nil.
    func thrownProblem(_ body: () throws -> Void) -> ValidationProblem? {
        do {
            try body()
        } catch let error as LarderError {
            if error.category == .invalidInput, error.totalProblems == 1 { return error.problems.first }
            Issue.record("unexpected error \(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return nil
    }

    // MARK: - CSV

    @Test func csvQuotesEscapesAndEmptyFields() throws {
        let output = try readCSV([
            #"id,name,note"#,
            #"1,plain,"quoted, with comma""#,
            #"2,"say ""hi""","""#,
            #"3,,x"#,
            #"4,"","#,
            #"5,5'10",  spaced  "#,
        ].joined(separator: "\n") + "\n")
        #expect(output.header == ["id", "name", "note"])
        #expect(output.rows == [
            ["1", "plain", "quoted, with comma"],
            ["2", "say \"hi\"", ""],
            ["3", "<null>", "x"],
            ["4", "", "<null>"],
            ["5", "5'10\"", "  spaced  "],
        ])
        #expect(output.lines == [2, 3, 4, 5, 6])
        #expect(output.bad.isEmpty)
    }

    @Test func csvEmbeddedNewlinesKeepLineNumbers() throws {
        let output = try readCSV("a,b\n1,\"two\nlines\"\n2,\"three\n\nlines\"\n3,x\n4,\"\"\"\n\"\"\"\n")
        #expect(output.rows == [["1", "two\nlines"], ["2", "three\n\nlines"], ["3", "x"], ["4", "\"\n\""]])
        #expect(output.lines == [2, 4, 7, 8])
    }

    @Test func csvCRLFLineEnds() throws {
        let output = try readCSV("a,b\r\n1,\"x\r\ny\"\r\n2,lone\rcr\r\n\"3\",z\r\n", keepRaw: true)
        #expect(output.header == ["a", "b"])
        #expect(output.rows == [["1", "x\r\ny"], ["2", "lone\rcr"], ["3", "z"]])
        #expect(output.lines == [2, 4, 5])
        #expect(output.raw == ["1,\"x\r\ny\"", "2,lone\rcr", "\"3\",z"])
    }

    @Test func csvByteOrderMarkIsSkipped() throws {
        let output = try readCSV(bytes: [0xEF, 0xBB, 0xBF] + Array("id,v\n1,2\n".utf8))
        #expect(output.header == ["id", "v"])
        #expect(output.rows == [["1", "2"]])
    }

    @Test func csvBlankLinesAndMissingFinalNewline() throws {
        #expect(try readCSV("a,b\n1,2\n\n3,4\n\r\n\n\n").rows == [["1", "2"], ["3", "4"]])
        let noNewline = try readCSV("a,b\n1,2\n3,\"4\"")
        #expect(noNewline.rows == [["1", "2"], ["3", "4"]])
        #expect(noNewline.lines == [2, 3])
        #expect(try readCSV("a,b\n1,\n").rows == [["1", "<null>"]])
        #expect(try readCSV("a,b\n1,\r").rows == [["1", "<null>"]])
        #expect(try readCSV("a,b\n1,\"\"\r").rows == [["1", ""]])
    }

    @Test func csvRaggedRowsBecomeBadRecords() throws {
        let output = try readCSV("id,a,b\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n", keepRaw: true)
        #expect(output.rows == [["1", "2", "3"], ["10", "11", "12"]])
        #expect(output.lines == [2, 5])
        #expect(output.raw == ["1,2,3", "10,11,12"])
        #expect(output.bad == [
            ValidationProblem(file: "in.csv", line: 3, column: "b", value: "4,5", reason: "expected 3 fields, found 2"),
            ValidationProblem(file: "in.csv", line: 4, column: "", value: "6,7,8,9", reason: "expected 3 fields, found 4"),
        ])
        #expect(output.badRaw == ["4,5", "6,7,8,9"])
    }

    @Test func csvTextAfterClosingQuoteIsABadRecord() throws {
        let output = try readCSV("a,b\n1,\"x\"y\n2,3\n")
        #expect(output.rows == [["2", "3"]])
        #expect(output.bad.count == 1)
        #expect(output.bad.first?.line == 2)
        #expect(output.bad.first?.column == "b")
        #expect(output.bad.first?.value == "\"x\"y")
    }

    @Test func csvUnterminatedQuoteNamesTheLineWhereTheFieldStarts() {
        let problem = thrownProblem { _ = try readCSV("a,b\n1,2\n3,\"open\nstill open\n") }
        #expect(problem?.line == 3)
        #expect(problem?.column == "b")
        #expect(problem?.reason.contains("unterminated quoted field") == true)
        let later = thrownProblem { _ = try readCSV("a,b\n1,\"x\ny\"\n3,4\n5,\"") }
        #expect(later?.line == 5)
    }

    @Test func csvInvalidUTF8IsABadRecordNamingLineAndColumn() throws {
        let bytes = Array("name,city\nok,Zürich\n".utf8) + Array("bad,Z".utf8) + [0xFC] + Array("rich\nlast,\"é\"\n".utf8)
        let output = try readCSV(bytes: bytes)
        #expect(output.rows == [["ok", "Zürich"], ["last", "é"]])
        #expect(output.bad.count == 1)
        #expect(output.bad.first?.line == 3)
        #expect(output.bad.first?.column == "city")
        #expect(output.bad.first?.reason == "invalid UTF-8")
        #expect(output.bad.first?.value == "Z\u{FFFD}rich")
    }

    @Test func csvHugeFieldIsAnError() throws {
        let complete = thrownProblem {
            _ = try readCSV("a,b\n1,2\n3,\(String(repeating: "x", count: 101))\n", maxFieldBytes: 100)
        }
        #expect(complete?.line == 3)
        #expect(complete?.column == "b")
        #expect(complete?.reason.contains("larger than 100 bytes") == true)
        let streaming = thrownProblem {
            _ = try readCSV("a,b\n1,\"\(String(repeating: "y\n", count: 500))\"\n", chunkSize: 16, maxFieldBytes: 100)
        }
        #expect(streaming?.line == 2)
        #expect(streaming?.column == "b")
        #expect(try readCSV("a\n\(String(repeating: "z", count: 100))\n", maxFieldBytes: 100).rows.count == 1)

        let realLimit = thrownProblem {
            _ = try readCSV(bytes: Array("a\n".utf8) + Array(repeating: 0x41, count: CSVReader.defaultMaxFieldBytes + 1))
        }
        #expect(realLimit?.line == 2)
        #expect(realLimit?.column == "a")
    }

    @Test func csvEmptyFileIsAnError() {
        for text in ["", "\n\n", "\u{FEFF}"] {
            let problem = thrownProblem { _ = try readCSV(text) }
            #expect(problem?.reason == "file is empty (no header row)")
            #expect(problem?.line == 1)
        }
    }

    @Test func csvHeaderOnlyHasNoRows() throws {
        for text in ["a,b", "a,b\n", "a,b\r\n\n"] {
            let output = try readCSV(text)
            #expect(output.header == ["a", "b"])
            #expect(output.rows.isEmpty)
            #expect(output.batches == 0)
        }
    }

    @Test func csvHeaderProblemsAreErrors() {
        let empty = thrownProblem { _ = try readCSV("a,,c\n1,2,3\n") }
        #expect(empty?.reason == "header name 2 is empty")
        let duplicate = thrownProblem { _ = try readCSV("\n\na,b,a\n1,2,3\n") }
        #expect(duplicate?.reason == "duplicate header name \"a\"")
        #expect(duplicate?.line == 3)
        #expect(duplicate?.column == "a")
        let invalid = thrownProblem { _ = try readCSV(bytes: [0x61, 0x2C, 0xC3, 0x28, 0x0A]) }
        #expect(invalid?.reason == "header name 2 is not valid UTF-8")
    }

    @Test func csvRecordsStraddlingChunksReadTheSame() throws {
        var text = "id,name,note\r\n"
        for i in 0 ..< 60 {
            switch i % 6 {
            case 0: text += "\(i),plain,text\r\n"
            case 1: text += "\(i),\"quoted \"\"x\"\"\",\"multi\r\nline\"\r\n"
            case 2: text += "\(i),,\"\"\n"
            case 3: text += "\(i),Grüße,\"日本\"\n\n"
            case 4: text += "\(i),short\n"
            default: text += "\(i),\"a,b\",c\rd\r\n"
            }
        }
        let reference = try readCSV(text, keepRaw: true)
        #expect(reference.rows.count == 50)
        #expect(reference.bad.count == 10)
        #expect(reference.rows[1] == ["1", "quoted \"x\"", "multi\r\nline"])
        #expect(reference.lines.last == 81)
        for chunkSize in [1, 2, 3, 5, 7, 64] {
            for maxRows in [1, 3, 1000] {
                var output = try readCSV(text, chunkSize: chunkSize, maxRows: maxRows, keepRaw: true)
                output.batches = reference.batches
                #expect(output == reference, "chunk \(chunkSize), batch \(maxRows)")
            }
        }
    }

    @Test func csvBatchesAreReused() throws {
        let path = try temporaryFile(Array("a,b\n1,2\n3,4\n5,6\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = CSVReader(source: try ByteSource(path: path), fileName: "f", keepRawRecords: false)
        _ = try reader.readHeader()
        var batch = RawBatch()
        #expect(try reader.next(into: &batch, maxRows: 2))
        #expect(batch.rowCount == 2 && batch.rawRecords == nil)
        let row1 = batch.withArena { arena in
            String(decoding: arena[batch.starts[2] ..< batch.starts[2] + Int(batch.lengths[2])], as: UTF8.self)
        }
        #expect(row1 == "3")
        #expect(try reader.next(into: &batch, maxRows: 2))
        #expect(batch.rowCount == 1 && batch.lines == [4] && batch.starts.count == 2)
        #expect(try !reader.next(into: &batch, maxRows: 2))
        #expect(batch.isEmpty)
    }

    /// A large batch gets room for its row limit at once (after
    /// `RawBatch.sizingRows` rows), not by doubling, which would keep up to
    /// twice the room and copy the cells on the way.
    @Test func csvLargeBatchIsSizedForItsRowLimit() throws {
        let rows = 20_000
        var text = "a,b,c\n"
        for i in 0..<rows { text += "\(100_000 + i),x\(i % 7),\(300_000 + i)\n" } // rows of one width: the text's room is predicted
        var reader = CSVReader(source: ByteSource(bytes: Array(text.utf8), name: "body"), fileName: "body", keepRawRecords: false)
        _ = try reader.readHeader()
        var batch = RawBatch()
        #expect(try reader.next(into: &batch, maxRows: rows))
        #expect(batch.rowCount == rows)
        let cells = rows * 3
        #expect(batch.starts.capacity >= cells && batch.starts.capacity < cells + 1_024, "\(batch.starts.capacity) for \(cells) cells")
        #expect(batch.lines.capacity < rows + 1_024, "\(batch.lines.capacity) for \(rows) lines")
        #expect(batch.arena.capacity < batch.arena.count + batch.arena.count / 4, "\(batch.arena.capacity) for \(batch.arena.count) bytes")
    }

    @Test func csvFromMemory() throws {
        var reader = CSVReader(source: ByteSource(bytes: Array("k\n1\n2".utf8), name: "body"),
                               fileName: "body", keepRawRecords: false)
        #expect(try reader.readHeader() == ["k"])
        var batch = RawBatch()
        #expect(try reader.next(into: &batch, maxRows: 10))
        #expect(batch.rowCount == 2)
        #expect(batch.lines == [2, 3])
    }

    @Test func missingFileIsAnIOError() {
        do {
            _ = try ByteSource(path: "/nonexistent/larder/input.csv")
            Issue.record("expected an error")
        } catch {
            guard error.category == .io else { Issue.record("wrong error \(error)"); return }
            #expect(error.path == "/nonexistent/larder/input.csv")
            #expect(error.message.contains("No such file"))
        }
    }

    // MARK: - JSON Lines

    @Test func jsonlValuesOfEveryKind() throws {
        let output = try readJSONL("""
            {"id": 1, "name": "a\\"b\\\\c\\/d\\b\\f\\n\\r\\t", "score": -1.5e3, "ok": true, "vec": [1, 2.5, -3e1]}
            {"ok":false,"id":2,"score":null,"vec":[],"name":""}
            {"id": 3}
            {}
            """, columns: ["id", "name", "score", "ok", "vec"])
        #expect(output.rows == [
            ["n:1", "a\"b\\c/d\u{8}\u{C}\n\r\t", "n:-1.5e3", "b:true", "a:[1, 2.5, -3e1]"],
            ["n:2", "", "<null>", "b:false", "a:[]"],
            ["n:3", "<missing>", "<missing>", "<missing>", "<missing>"],
            ["<missing>", "<missing>", "<missing>", "<missing>", "<missing>"],
        ])
        #expect(output.lines == [1, 2, 3, 4])
        #expect(output.bad.isEmpty)
    }

    @Test func jsonlUnicodeEscapes() throws {
        let output = try readJSONL(#"""
            {"s": "\u00e9\u65E5\ud83d\ude00x", "\u0074": "key with escape"}
            {"s": "\ud83d"}
            {"s": "\ude00"}
            {"s": "\u12G4"}
            {"s": "\q"}
            {"s": "caf\u00e9 \"done\""}
            """#, columns: ["s", "t"])
        #expect(output.rows == [["é日😀x", "key with escape"], ["café \"done\"", "<missing>"]])
        #expect(output.lines == [1, 6])
        #expect(output.bad.map(\.line) == [2, 3, 4, 5])
        #expect(output.bad[0].reason.contains("unpaired surrogate \\uD83D"))
        #expect(output.bad[1].reason.contains("unpaired surrogate \\uDE00"))
        #expect(output.bad[2].reason.contains("invalid escape"))
        #expect(output.bad[3].reason.contains("invalid escape"))
        #expect(output.bad.allSatisfy { $0.column.isEmpty })
    }

    @Test func jsonlUnknownKeys() throws {
        let text = """
            {"id": 1, "extra": {"deep": [1, {"x": null}]}, "v": "a"}
            {"id": 2, "v": "b", "more": [true, "s", {}]}
            """
        let refused = try readJSONL(text, columns: ["id", "v"])
        #expect(refused.rows.isEmpty)
        #expect(refused.bad.map(\.column) == ["extra", "more"])
        #expect(refused.bad[0].reason == "unknown column (pass --ignore-unknown-columns to ignore it)")
        #expect(refused.bad[0].value == #"{"deep": [1, {"x": null}]}"#)
        let ignored = try readJSONL(text, columns: ["id", "v"], ignoreUnknown: true)
        #expect(ignored.rows == [["n:1", "a"], ["n:2", "b"]])
        #expect(ignored.bad.isEmpty)
    }

    @Test func jsonlDuplicateKey() throws {
        let output = try readJSONL("{\"id\": 1, \"id\": 2}\n{\"id\": 3}\n", columns: ["id"])
        #expect(output.rows == [["n:3"]])
        #expect(output.bad == [ValidationProblem(file: "in.jsonl", line: 1, column: "id", value: "2",
                                                 reason: "duplicate key \"id\"")])
    }

    @Test func jsonlNestedObjectIsRefused() throws {
        let output = try readJSONL("{\"id\": 1, \"v\": {\"a\": [1, {}]}, \"w\": 2}\n", columns: ["id", "v", "w"])
        #expect(output.rows.isEmpty)
        #expect(output.bad.first?.column == "v")
        #expect(output.bad.first?.value == "{\"a\": [1, {}]}", "the value is the object, not the rest of the line")
        #expect(output.bad.first?.reason == "nested objects are not supported")
    }

    @Test func jsonlMalformedLinesAreBadRecords() throws {
        let lines = [
            "[1, 2]",
            "{\"id\" 1}",
            "{\"id\": }",
            "{\"id\": 1,}",
            "{\"id\": 1} x",
            "{\"id\": 01}",
            "{\"id\": 1.}",
            "{\"id\": tru}",
            "{\"id\": \"open",
            "{\"id\": [1, 2}",
            "{id: 1}",
            "{\"id\": \"tab\there\"}",
            "{\"id\": NaN}",
            "{\"id\": 1",
        ]
        let output = try readJSONL(lines.joined(separator: "\n") + "\n{\"id\": 7}\n", columns: ["id"])
        #expect(output.rows == [["n:7"]])
        #expect(output.lines == [lines.count + 1])
        #expect(output.bad.map(\.line) == Array(1 ... lines.count))
        for problem in output.bad {
            #expect(problem.column.isEmpty)
            #expect(problem.reason.hasPrefix("malformed JSON: "), "\(problem)")
            #expect(problem.reason.contains("byte") || problem.reason.contains("end of the line"), "\(problem)")
        }
        #expect(output.bad[0].reason == "malformed JSON: expected a JSON object ({…}) at byte 1 of the line")
        #expect(output.bad[1].reason == "malformed JSON: expected ':' after the key at byte 7 of the line")
        #expect(output.bad[4].reason == "malformed JSON: unexpected text after the object at byte 11 of the line")
        #expect(output.bad[13].reason == "malformed JSON: expected ',' or '}' after a value at the end of the line")
    }

    @Test func jsonlBlankLinesCRLFAndInvalidUTF8() throws {
        let bytes = Array("\u{FEFF}{\"s\": \"a\"}\r\n\r\n   \n{\"s\": \"".utf8) + [0xFF] + Array("\"}\n{\"s\": \"ü\"}".utf8)
        let output = try readJSONL(bytes: bytes, columns: ["s"], keepRaw: true)
        #expect(output.rows == [["a"], ["ü"]])
        #expect(output.lines == [1, 5])
        #expect(output.raw == ["{\"s\": \"a\"}", "{\"s\": \"ü\"}"])
        #expect(output.bad.count == 1)
        #expect(output.bad.first?.line == 4)
        #expect(output.bad.first?.reason == "invalid UTF-8 at byte 8 of the line")
    }

    @Test func jsonlLinesStraddlingChunksReadTheSame() throws {
        var text = ""
        for i in 0 ..< 40 {
            switch i % 4 {
            case 0: text += "{\"id\": \(i), \"name\": \"n\\u00e9\\\"\(i)\", \"vec\": [1.5, -2]}\n"
            case 1: text += "{\"vec\": [], \"id\": \(i)}\r\n\n"
            case 2: text += "{\"id\": \(i), \"name\": \"日本\", \"bad\": 1}\n"
            default: text += "{\"id\": \(i), \"name\": null}"
            }
            if i % 4 == 3 { text += "\n" }
        }
        let reference = try readJSONL(text, columns: ["id", "name", "vec"], keepRaw: true)
        #expect(reference.rows.count == 30)
        #expect(reference.bad.count == 10)
        #expect(reference.rows[0] == ["n:0", "né\"0", "a:[1.5, -2]"])
        for chunkSize in [1, 2, 3, 7, 64] {
            for maxRows in [1, 4, 1000] {
                var output = try readJSONL(text, columns: ["id", "name", "vec"], chunkSize: chunkSize,
                                           maxRows: maxRows, keepRaw: true)
                output.batches = reference.batches
                #expect(output == reference, "chunk \(chunkSize), batch \(maxRows)")
            }
        }
    }

    @Test func jsonlEmptyInputAndOverlongLine() throws {
        #expect(try readJSONL("\n \n", columns: ["a"]).batches == 0)
        let source = ByteSource(bytes: Array("{\"a\": 1}\n{\"a\": \"\(String(repeating: "x", count: 30))\"}\n".utf8),
                                name: "body")
        var reader = JSONLinesReader(source: source, fileName: "body", columns: ["a"], ignoreUnknownKeys: false,
                                     keepRawRecords: false, maxLineBytes: 20)
        var batch = RawBatch()
        let problem = thrownProblem { _ = try reader.next(into: &batch, maxRows: 10) }
        #expect(problem?.line == 2)
        #expect(problem?.reason == "line is longer than 20 bytes (the most a line may hold)")
    }

    // MARK: - UTF-8

    @Test func utf8Validation() {
        func check(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { $0.firstInvalidUTF8Offset() } }
        #expect(check(Array("plain ASCII text that is longer than eight bytes".utf8)) == nil)
        #expect(check(Array("Grüße, 日本, 😀".utf8)) == nil)
        #expect(check([0x41, 0xC0, 0x80]) == 1)           // overlong
        #expect(check([0xE0, 0x80, 0x80]) == 0)           // overlong
        #expect(check([0xED, 0xA0, 0x80]) == 0)           // surrogate
        #expect(check([0xF4, 0x90, 0x80, 0x80]) == 0)     // past U+10FFFF
        #expect(check(Array("abcdefgh".utf8) + [0xE6, 0x97]) == 8) // truncated
        #expect(check([0xE6, 0x97, 0x41]) == 0)           // bad continuation
        #expect(check([0x80]) == 0)
        #expect(check([]) == nil)
    }
}
