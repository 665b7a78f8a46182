/// Reads one JSON object of columns — `{"driver_id": [1001, 1002],
/// "event_timestamp": [...], "conv_rate": [...]}`, or that object under
/// `"df"` (the shape of Feast's push and write-to-online-store requests) —
/// into ``RawBatch``es of rows, so that such input is typed and validated
/// exactly as JSON Lines are: value `i` of every column is row `i + 1`
/// (the number problems name).
///
/// The whole input is read first (it is one JSON value), checked for UTF-8
/// and scanned once with ``JSONScanner``; the values stay where they are and
/// rows are cut from them batch by batch. Values are read as in JSON Lines
/// (strings unescaped, numbers and booleans as their text, arrays as their
/// JSON text); a column that is not an array, columns of different lengths,
/// no rows, or a key that is not a column (unless unknown keys are ignored)
/// refuse the whole input.
struct JSONColumnsReader: RecordReader {
    /// The file name that problems carry.
    let fileName: String
    /// The expected keys: the batch's columns, in this order.
    let columns: [String]
    /// Whether a key that is not a column is skipped rather than refused.
    let ignoreUnknownKeys: Bool
    /// Whether batches keep each row's raw text (for a reject file): here a
    /// JSON object of the row's values.
    let keepRawRecords: Bool

    private let source: ByteSource
    /// The input, unescaped values appended after it.
    private var text: [UInt8] = []
    /// Per expected column, each row's cell (start in ``text``, length,
    /// kind), or nil when the input lacks the column.
    private var cells: [[(start: Int, length: Int, kind: FieldKind)]?] = []
    private var rows = 0
    private var nextRow = 0
    private var loaded = false

    /// A reader of `source` producing the keys `columns` as columns.
    init(source: ByteSource, fileName: String, columns: [String], ignoreUnknownKeys: Bool, keepRawRecords: Bool) {
        self.source = source
        self.fileName = fileName
        self.columns = columns
        self.ignoreUnknownKeys = ignoreUnknownKeys
        self.keepRawRecords = keepRawRecords
    }

    var bytesRead: Int { source.bytesConsumed }
    var totalBytes: Int? { source.totalSize }

    mutating func next(into batch: inout RawBatch, maxRows: Int) throws(LarderError) -> Bool {
        if !loaded { try load() }
        batch.reset(columnCount: columns.count, keepRawRecords: keepRawRecords, rowLimit: maxRows)
        guard nextRow < rows else { return false }
        let end = min(rows, nextRow + maxRows)
        for row in nextRow..<end {
            var raw: [UInt8] = []
            if keepRawRecords { raw.append(UInt8(ascii: "{")) }
            for (c, column) in cells.enumerated() {
                guard let cell = column?[row] else {
                    batch.appendCell(start: batch.arena.count, length: 0, kind: .missing)
                    continue
                }
                batch.appendCell(start: batch.arena.count, length: cell.length, kind: cell.kind)
                batch.arena.append(contentsOf: text[cell.start..<cell.start + cell.length])
                if keepRawRecords {
                    if raw.count > 1 { raw.append(UInt8(ascii: ",")) }
                    JSONValue.appendQuoted(columns[c], to: &raw)
                    raw.append(UInt8(ascii: ":"))
                    if cell.kind == .text {
                        JSONValue.appendQuoted(String(decoding: text[cell.start..<cell.start + cell.length], as: UTF8.self), to: &raw)
                    } else {
                        raw.append(contentsOf: text[cell.start..<cell.start + cell.length])
                    }
                }
            }
            if keepRawRecords { raw.append(UInt8(ascii: "}")) }
            raw.withUnsafeBytes { batch.commitRow(line: row + 1, raw: $0) }
        }
        nextRow = end
        return true
    }

    /// The whole input refused for `reason`.
    private func refused(_ reason: String, column: String = "") -> LarderError {
        .validation(problems: [ValidationProblem(file: fileName, line: 1, column: column, value: "", reason: reason)], total: 1)
    }

    /// Reads the input and finds every column's cells.
    private mutating func load() throws(LarderError) {
        loaded = true
        while try source.fill() {}
        text = Array(source.unconsumed)
        source.consume(text.count)
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
        if let bad = text.withUnsafeBytes({ $0.firstInvalidUTF8Offset() }) { throw refused("invalid UTF-8 at byte \(bad + 1)") }
        guard !text.isEmpty else { throw refused("the input is empty; expected a JSON object of columns") }
        cells = Array(repeating: nil, count: columns.count)
        var found: [(name: String, cells: [(start: Int, length: Int, kind: FieldKind)])] = []
        var unescaped: [UInt8] = []
        let input = text
        let scanned = input.withUnsafeBytes { bytes -> Result<Void, JSONScanner.Failure> in
            do throws(JSONScanner.Failure) {
                var s = JSONScanner(bytes, unit: "input")
                try JSONColumnsReader.object(&s) { key, s throws(JSONScanner.Failure) in
                    if key == "df", s.peek == UInt8(ascii: "{"), found.isEmpty {
                        try JSONColumnsReader.object(&s) { key, s throws(JSONScanner.Failure) in
                            try JSONColumnsReader.column(key, &s, into: &found, unescaped: &unescaped, base: bytes.count)
                        }
                    } else {
                        try JSONColumnsReader.column(key, &s, into: &found, unescaped: &unescaped, base: bytes.count)
                    }
                }
                s.skipWhitespace()
                guard s.p == s.n else { throw s.syntax("unexpected text after the object") }
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        if case .failure(let error) = scanned {
            throw refused(error.column.isEmpty ? error.reason : "column \"\(error.column)\": \(error.reason)", column: error.column)
        }
        text += unescaped
        guard let first = found.first else { throw refused("the object has no columns") }
        for column in found where column.cells.count != first.cells.count {
            throw refused("column \"\(column.name)\" has \(column.cells.count) values, but \"\(first.name)\" has \(first.cells.count)",
                          column: column.name)
        }
        rows = first.cells.count
        guard rows > 0 else { throw refused("the columns hold no rows") }
        for column in found {
            if let index = columns.firstIndex(of: column.name) {
                guard cells[index] == nil else { throw refused("duplicate column \"\(column.name)\"", column: column.name) }
                cells[index] = column.cells
            } else if !ignoreUnknownKeys {
                throw refused("unknown column \"\(column.name)\" (pass --ignore-unknown-columns to ignore it)", column: column.name)
            }
        }
    }

    /// Reads the array of the column `name` at the scanner's position;
    /// unescaped strings go to `unescaped`, whose cells start at `base`.
    private static func column(_ name: String, _ s: inout JSONScanner,
                               into found: inout [(name: String, cells: [(start: Int, length: Int, kind: FieldKind)])],
                               unescaped: inout [UInt8], base: Int) throws(JSONScanner.Failure) {
        guard s.peek == UInt8(ascii: "[") else {
            throw JSONScanner.Failure(column: name, value: "", reason: "expected an array of values, one per row")
        }
        var cells: [(start: Int, length: Int, kind: FieldKind)] = []
        try JSONScanner.elements(&s) { _, s throws(JSONScanner.Failure) in
            let start = s.p
            switch s.peek {
            case UInt8(ascii: "\""):
                let token = try s.string()
                if token.escaped {
                    let at = base + unescaped.count
                    try s.unescape(token, into: &unescaped)
                    cells.append((at, base + unescaped.count - at, .text))
                } else {
                    cells.append((token.range.lowerBound, token.range.count, .text))
                }
            case UInt8(ascii: "n"):
                try s.literal("null")
                cells.append((start, 0, .null))
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                try s.literal(s.peek == UInt8(ascii: "t") ? "true" : "false")
                cells.append((start, s.p - start, .boolean))
            case UInt8(ascii: "["):
                try s.skipValue()
                cells.append((start, s.p - start, .array))
            case UInt8(ascii: "{"):
                throw JSONScanner.Failure(column: name, value: "", reason: "value \(cells.count + 1) is an object; nested objects are not supported")
            default:
                try s.number()
                cells.append((start, s.p - start, .number))
            }
        }
        found.append((name, cells))
    }

    /// Calls `body` with each key of the object at the scanner's position
    /// (which must be one), the scanner at the key's value.
    private static func object(_ s: inout JSONScanner,
                               _ body: (String, inout JSONScanner) throws(JSONScanner.Failure) -> Void) throws(JSONScanner.Failure) {
        s.skipWhitespace()
        guard s.peek == UInt8(ascii: "{") else { throw s.syntax("expected a JSON object of columns ({\"column\": [values…], …})") }
        try JSONScanner.members(&s, body)
    }
}
