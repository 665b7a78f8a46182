#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits JSON Lines (one JSON object per line) into ``RawBatch``es of
/// untyped fields, in the order of the expected column names.
///
/// Lines end in LF or CRLF; blank lines are skipped, and a UTF-8 byte order
/// mark at the start is skipped. Each object is read by a small byte-level
/// scanner:
/// - a string becomes ``FieldKind/text`` holding its unescaped UTF-8
///   (`\" \\ \/ \b \f \n \r \t \uXXXX`, surrogate pairs included);
/// - a number becomes ``FieldKind/number`` holding its literal text;
/// - `true` / `false` become ``FieldKind/boolean``, `null` ``FieldKind/null``;
/// - an array becomes ``FieldKind/array`` holding its raw JSON text;
/// - an expected key that is absent is ``FieldKind/missing``.
///
/// A line that is not such an object (malformed JSON, invalid UTF-8, a
/// nested object as a value, a duplicate key, a key that is not a column
/// unless unknown keys are ignored) becomes a ``BadRecord`` and reading
/// goes on. A line longer than the limit is thrown as a validation error.
struct JSONLinesReader {
    /// The longest line accepted by default: 64 MiB.
    static let defaultMaxLineBytes = 64 << 20
    /// The deepest nesting of arrays (and of objects under ignored keys).
    static let maxDepth = JSONScanner.maxDepth

    /// The file name that problems carry (`-` for stdin).
    let fileName: String
    /// The expected keys: the batch's columns, in this order.
    let columns: [String]
    /// Whether a key that is not a column is skipped rather than refused.
    let ignoreUnknownKeys: Bool
    /// Whether batches keep each row's raw text (for a reject file).
    let keepRawRecords: Bool
    /// The longest line accepted, in bytes; a longer one is an error.
    let maxLineBytes: Int

    /// Where the bytes come from.
    private let source: ByteSource
    /// The column names' UTF-8, back to back, delimited by ``nameOffsets``.
    private let nameBytes: [UInt8]
    /// `columns.count + 1` offsets into ``nameBytes``.
    private let nameOffsets: [Int]
    /// The column tried first for the next key: the one after the last found
    /// (keys usually come in the same order on every line).
    private var columnHint = 0
    /// Whether the byte order mark check has run.
    private var started = false
    /// The 1-based line number of the next unread line.
    private var line = 1
    /// Scratch: the unescaped text of a key with escapes.
    private var keyScratch: [UInt8] = []

    /// A reader of `source` producing the keys `columns` as columns, naming
    /// `fileName` in problems.
    /// - Parameter maxLineBytes: the longest line accepted (at most `Int32.max`).
    init(source: ByteSource, fileName: String, columns: [String], ignoreUnknownKeys: Bool,
         keepRawRecords: Bool, maxLineBytes: Int = JSONLinesReader.defaultMaxLineBytes) {
        precondition(maxLineBytes > 0 && maxLineBytes <= Int(Int32.max), "line limit out of range")
        self.source = source
        self.fileName = fileName
        self.columns = columns
        self.ignoreUnknownKeys = ignoreUnknownKeys
        self.keepRawRecords = keepRawRecords
        self.maxLineBytes = maxLineBytes
        var bytes: [UInt8] = []
        var offsets = [0]
        for name in columns {
            bytes.append(contentsOf: name.utf8)
            offsets.append(bytes.count)
        }
        nameBytes = bytes
        nameOffsets = offsets
    }

    /// The input bytes consumed so far (for progress against ``totalBytes``).
    var bytesRead: Int { source.bytesConsumed }

    /// The input's total size when known.
    var totalBytes: Int? { source.totalSize }

    /// Empties `batch` and fills it with the next records: up to `maxRows`
    /// non-blank lines, rows and bad records together.
    ///
    /// Returns `true` when the batch holds at least one row or bad record,
    /// `false` when the input is exhausted (the batch is then empty).
    ///
    /// - Complexity: O(n) in the bytes read.
    mutating func next(into batch: inout RawBatch, maxRows: Int) throws(LarderError) -> Bool {
        precondition(maxRows > 0, "maxRows must be positive")
        if !started {
            started = true
            while source.unconsumed.count < 3, try source.fill() {}
            if source.unconsumed.starts(with: [0xEF, 0xBB, 0xBF]) { source.consume(3) }
        }
        batch.reset(columnCount: columns.count, keepRawRecords: keepRawRecords, rowLimit: maxRows)
        var records = 0
        while records < maxRows {
            let window = source.unconsumed
            if window.isEmpty {
                if try source.fill() { continue }
                break
            }
            let start = window.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var offset = 0
            var needMore = false
            while records < maxRows, offset < window.count {
                let rest = window.count - offset
                let lineLength: Int
                let next: Int
                if let newline = memchr(start + offset, 0x0A, rest) {
                    lineLength = UnsafeRawPointer(newline) - UnsafeRawPointer(start + offset)
                    next = lineLength + 1
                } else if source.isAtEnd {
                    lineLength = rest
                    next = rest
                } else {
                    lineLength = rest
                    next = 0
                    needMore = true
                }
                if lineLength > maxLineBytes {
                    throw .validation(problems: [ValidationProblem(
                        file: fileName, line: line, column: "", value: "",
                        reason: "line is longer than \(maxLineBytes) bytes (the most a line may hold)")], total: 1)
                }
                if needMore { break }
                var textLength = lineLength
                if textLength > 0, start[offset + textLength - 1] == 0x0D { textLength -= 1 }
                let text = UnsafeRawBufferPointer(start: start + offset, count: textLength)
                let recordLine = line
                line += 1
                offset += next
                if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                records += 1
                read(line: text, number: recordLine, into: &batch)
            }
            source.consume(offset)
            if needMore { _ = try source.fill() }
        }
        return !batch.isEmpty
    }

    // MARK: - Objects

    private typealias Failure = JSONScanner.Failure
    private typealias Parser = JSONScanner

    /// Reads one non-blank line into a row of `batch`, or into a bad record.
    private mutating func read(line text: UnsafeRawBufferPointer, number: Int, into batch: inout RawBatch) {
        let cellsBefore = batch.starts.count
        let arenaBefore = batch.arena.count
        for _ in 0 ..< columns.count { batch.appendCell(start: arenaBefore, length: 0, kind: .missing) }
        do throws(Failure) {
            if let bad = text.firstInvalidUTF8Offset() {
                throw Failure(column: "", value: String(decoding: text, as: UTF8.self),
                              reason: "invalid UTF-8 at byte \(bad + 1) of the line")
            }
            var parser = Parser(text)
            try readObject(&parser, cellsBefore: cellsBefore, into: &batch)
            batch.commitRow(line: number, raw: text)
        } catch {
            batch.truncateCells(to: cellsBefore)
            batch.arena.removeLast(batch.arena.count - arenaBefore)
            batch.badRecords.append(BadRecord(
                line: number,
                problem: ValidationProblem(file: fileName, line: number, column: error.column,
                                           value: error.value, reason: error.reason),
                raw: Array(text)))
        }
    }

    /// Reads the object that makes up the whole of `parser`'s line, setting
    /// the cells of the row that starts at cell `cellsBefore`.
    private mutating func readObject(_ parser: inout Parser, cellsBefore: Int,
                                     into batch: inout RawBatch) throws(Failure) {
        parser.skipWhitespace()
        guard parser.peek == UInt8(ascii: "{") else { throw parser.syntax("expected a JSON object ({…})") }
        parser.p += 1
        parser.skipWhitespace()
        if parser.peek == UInt8(ascii: "}") {
            parser.p += 1
        } else {
            while true {
                guard parser.peek == UInt8(ascii: "\"") else { throw parser.syntax("expected a key in quotes") }
                let key = try parser.string()
                let column: Int?
                if key.escaped {
                    keyScratch.removeAll(keepingCapacity: true)
                    try parser.unescape(key, into: &keyScratch)
                    column = keyScratch.withUnsafeBytes { columnIndex(of: $0) }
                } else {
                    column = columnIndex(of: parser.bytes(key.range))
                }
                parser.skipWhitespace()
                guard parser.peek == UInt8(ascii: ":") else { throw parser.syntax("expected ':' after the key") }
                parser.p += 1
                parser.skipWhitespace()
                let valueStart = parser.p
                if let column {
                    let cell = cellsBefore + column
                    guard batch.kinds[cell] == .missing else {
                        try parser.skipValue()
                        throw Failure(column: columns[column], value: parser.text(valueStart ..< parser.p),
                                      reason: "duplicate key \"\(columns[column])\"")
                    }
                    try readValue(&parser, column: column, cell: cell, into: &batch)
                } else {
                    try parser.skipValue()
                    if !ignoreUnknownKeys {
                        let name = key.escaped
                            ? String(decoding: keyScratch, as: UTF8.self)
                            : String(decoding: parser.bytes(key.range), as: UTF8.self)
                        throw Failure(column: name, value: parser.text(valueStart ..< parser.p),
                                      reason: "unknown column (pass --ignore-unknown-columns to ignore it)")
                    }
                }
                if try parser.nextElement(closing: UInt8(ascii: "}")) { continue }
                break
            }
        }
        parser.skipWhitespace()
        guard parser.p == parser.n else { throw parser.syntax("unexpected text after the object") }
    }

    /// Reads the value at the parser's position into cell `cell` of column
    /// `column`.
    private func readValue(_ parser: inout Parser, column: Int, cell: Int,
                           into batch: inout RawBatch) throws(Failure) {
        let start = parser.p
        let kind: FieldKind
        switch parser.peek {
        case UInt8(ascii: "\""):
            let string = try parser.string()
            let arenaStart = batch.arena.count
            if string.escaped {
                try parser.unescape(string, into: &batch.arena)
            } else {
                batch.arena.append(contentsOf: parser.bytes(string.range))
            }
            batch.starts[cell] = arenaStart
            batch.lengths[cell] = Int32(truncatingIfNeeded: batch.arena.count - arenaStart)
            batch.kinds[cell] = .text
            return
        case UInt8(ascii: "n"):
            try parser.literal("null")
            batch.kinds[cell] = .null
            return
        case UInt8(ascii: "t"):
            try parser.literal("true")
            kind = .boolean
        case UInt8(ascii: "f"):
            try parser.literal("false")
            kind = .boolean
        case UInt8(ascii: "["):
            try parser.skipValue()
            kind = .array
        case UInt8(ascii: "{"):
            try parser.skipValue()
            throw Failure(column: columns[column], value: parser.text(start ..< parser.p),
                          reason: "nested objects are not supported")
        default:
            try parser.number()
            kind = .number
        }
        batch.starts[cell] = batch.arena.count
        batch.lengths[cell] = Int32(truncatingIfNeeded: parser.p - start)
        batch.kinds[cell] = kind
        batch.arena.append(contentsOf: parser.bytes(start ..< parser.p))
    }

    /// The column whose name is `key`, trying the hinted column first.
    private mutating func columnIndex(of key: UnsafeRawBufferPointer) -> Int? {
        let count = columns.count
        guard count > 0 else { return nil }
        let found: Int? = nameBytes.withUnsafeBytes { names in
            func matches(_ column: Int) -> Bool {
                let start = nameOffsets[column]
                let length = nameOffsets[column + 1] - start
                return length == key.count
                    && (length == 0 || memcmp(names.baseAddress! + start, key.baseAddress!, length) == 0)
            }
            if matches(columnHint) { return columnHint }
            for column in 0 ..< count where column != columnHint && matches(column) { return column }
            return nil
        }
        if let found { columnHint = found + 1 == count ? 0 : found + 1 }
        return found
    }
}
