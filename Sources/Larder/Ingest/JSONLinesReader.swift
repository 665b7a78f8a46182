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
    static let maxDepth = 64

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
        batch.reset(columnCount: columns.count, keepRawRecords: keepRawRecords)
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

    /// Why a line was refused.
    private struct Failure: Error {
        /// The key the problem is about, or empty for a syntax error.
        var column: String
        /// The offending text.
        var value: String
        /// What is wrong, with the byte position for syntax errors.
        var reason: String
    }

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
                parser.skipWhitespace()
                if parser.peek == UInt8(ascii: ",") {
                    parser.p += 1
                    parser.skipWhitespace()
                    continue
                }
                guard parser.peek == UInt8(ascii: "}") else { throw parser.syntax("expected ',' or '}' after a value") }
                parser.p += 1
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
            throw Failure(column: columns[column], value: parser.text(start ..< parser.n),
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

    // MARK: - Scanner

    /// A cursor over one line's bytes with the JSON grammar's pieces.
    private struct Parser {
        /// A string token: the bytes between its quotes, and whether they hold
        /// escapes.
        struct StringToken {
            /// The bytes between the quotes.
            var range: Range<Int>
            /// Whether `range` holds a backslash escape.
            var escaped: Bool
        }

        /// The line.
        let b: UnsafePointer<UInt8>
        /// The line's length.
        let n: Int
        /// The position of the next byte to read.
        var p = 0

        /// A parser at the start of `text`, which is not empty.
        init(_ text: UnsafeRawBufferPointer) {
            b = text.baseAddress!.assumingMemoryBound(to: UInt8.self)
            n = text.count
        }

        /// The byte at the position, or 0 at the end.
        var peek: UInt8 { p < n ? b[p] : 0 }

        /// The bytes in `range`.
        func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(start: b + range.lowerBound, count: range.count)
        }

        /// The bytes in `range`, decoded for a problem's value.
        func text(_ range: Range<Int>) -> String {
            String(decoding: bytes(range).prefix(100), as: UTF8.self)
        }

        /// A syntax error at the position: `expected`, then where.
        func syntax(_ expected: String) -> Failure {
            malformed("\(expected) \(p < n ? "at byte \(p + 1) of the line" : "at the end of the line")")
        }

        /// A syntax error whose value is the whole line.
        func malformed(_ reason: String) -> Failure {
            Failure(column: "", value: text(0 ..< n), reason: "malformed JSON: \(reason)")
        }

        /// Skips JSON whitespace.
        mutating func skipWhitespace() {
            while p < n {
                let c = b[p]
                guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
                p += 1
            }
        }

        /// Reads a string at the position (which holds its opening quote),
        /// without unescaping it; checks that each escape is a known one
        /// (``unicodeEscape(at:end:)`` for `\u`) and that it holds no raw
        /// control character.
        mutating func string() throws(Failure) -> StringToken {
            p += 1
            let start = p
            var escaped = false
            while p < n {
                let c = b[p]
                if c == 0x22 {
                    p += 1
                    return StringToken(range: start ..< p - 1, escaped: escaped)
                }
                if c == 0x5C {
                    escaped = true
                    guard p + 1 < n else { break }
                    switch b[p + 1] {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        p += 2
                    case UInt8(ascii: "u"):
                        p += try unicodeEscape(at: p, end: n).length
                    default:
                        throw invalidEscape(at: p)
                    }
                    continue
                }
                if c < 0x20 { throw syntax("a control character must be escaped in a string (\\n, \\t, \\u00XX)") }
                p += 1
            }
            p = n
            throw syntax("expected '\"' to close the string")
        }

        /// Appends the unescaped text of `token` to `out`.
        func unescape(_ token: StringToken, into out: inout [UInt8]) throws(Failure) {
            var i = token.range.lowerBound
            let end = token.range.upperBound
            var run = i
            while i < end {
                guard b[i] == 0x5C else { i += 1; continue }
                out.append(contentsOf: bytes(run ..< i))
                let escape = b[i + 1]
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let (scalar, length) = try unicodeEscape(at: i, end: end)
                    Parser.appendUTF8(scalar, to: &out)
                    i += length - 2
                default:
                    throw invalidEscape(at: i)
                }
                i += 2
                run = i
            }
            out.append(contentsOf: bytes(run ..< end))
        }

        /// The scalar of the `\uXXXX` escape at `i` (with the low surrogate's
        /// escape after a high surrogate's) and the escape's length in bytes
        /// (6, or 12 for a pair). Throws for bad hex digits or an unpaired
        /// surrogate.
        private func unicodeEscape(at i: Int, end: Int) throws(Failure) -> (scalar: UInt32, length: Int) {
            guard let unit = hex4(at: i + 2, end: end) else { throw invalidEscape(at: i) }
            if unit >= 0xD800, unit <= 0xDBFF {
                guard i + 12 <= end, b[i + 6] == 0x5C, b[i + 7] == UInt8(ascii: "u"),
                      let low = hex4(at: i + 8, end: end), low >= 0xDC00, low <= 0xDFFF
                else { throw unpairedSurrogate(unit, at: i) }
                return (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), 12)
            }
            if unit >= 0xDC00, unit <= 0xDFFF { throw unpairedSurrogate(unit, at: i) }
            return (unit, 6)
        }

        /// The value of the four hex digits at `i`, or nil.
        private func hex4(at i: Int, end: Int) -> UInt32? {
            guard i + 4 <= end else { return nil }
            var value: UInt32 = 0
            for k in i ..< i + 4 {
                let c = b[k]
                let digit: UInt8
                switch c {
                case 0x30 ... 0x39: digit = c - 0x30
                case 0x41 ... 0x46: digit = c - 0x41 + 10
                case 0x61 ... 0x66: digit = c - 0x61 + 10
                default: return nil
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }

        /// The failure for a malformed escape at `i`.
        private func invalidEscape(at i: Int) -> Failure {
            malformed("invalid escape in a string at byte \(i + 1) of the line")
        }

        /// The failure for a surrogate `\u` escape without its pair at `i`.
        private func unpairedSurrogate(_ unit: UInt32, at i: Int) -> Failure {
            malformed("unpaired surrogate \\u\(String(unit, radix: 16, uppercase: true)) at byte \(i + 1) of the line")
        }

        /// Appends the UTF-8 encoding of `scalar` (not a surrogate) to `out`.
        static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
            switch scalar {
            case 0 ..< 0x80:
                out.append(UInt8(scalar))
            case 0x80 ..< 0x800:
                out.append(UInt8(0xC0 | scalar >> 6))
                out.append(UInt8(0x80 | scalar & 0x3F))
            case 0x800 ..< 0x10000:
                out.append(UInt8(0xE0 | scalar >> 12))
                out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                out.append(UInt8(0x80 | scalar & 0x3F))
            default:
                out.append(UInt8(0xF0 | scalar >> 18))
                out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
                out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                out.append(UInt8(0x80 | scalar & 0x3F))
            }
        }

        /// Reads the literal `word` (`true`, `false`, `null`).
        mutating func literal(_ word: StaticString) throws(Failure) {
            let length = word.utf8CodeUnitCount
            guard n - p >= length, memcmp(b + p, word.utf8Start, length) == 0 else {
                throw syntax("expected a value")
            }
            p += length
        }

        /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        mutating func number() throws(Failure) {
            @inline(__always) func isDigit(_ i: Int) -> Bool { i < n && b[i] &- 0x30 < 10 }
            if peek == UInt8(ascii: "-") { p += 1 }
            guard isDigit(p) else { throw syntax("expected a value") }
            if b[p] == 0x30 { p += 1 } else { while isDigit(p) { p += 1 } }
            if peek == UInt8(ascii: ".") {
                p += 1
                guard isDigit(p) else { throw syntax("expected a digit after '.' in a number") }
                while isDigit(p) { p += 1 }
            }
            if peek | 0x20 == UInt8(ascii: "e") {
                p += 1
                if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { p += 1 }
                guard isDigit(p) else { throw syntax("expected a digit in the exponent of a number") }
                while isDigit(p) { p += 1 }
            }
        }

        /// Skips one JSON value of any kind, arrays and objects included, up
        /// to ``JSONLinesReader/maxDepth`` levels deep, checking its syntax.
        mutating func skipValue() throws(Failure) {
            // Bit k of `objects` is set when level k is an object.
            var objects: UInt64 = 0
            var depth = 0
            while true {
                skipWhitespace()
                switch peek {
                case UInt8(ascii: "\""): _ = try string()
                case UInt8(ascii: "n"): try literal("null")
                case UInt8(ascii: "t"): try literal("true")
                case UInt8(ascii: "f"): try literal("false")
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    guard depth < JSONLinesReader.maxDepth else {
                        throw syntax("nesting deeper than \(JSONLinesReader.maxDepth) levels")
                    }
                    let isObject = peek == UInt8(ascii: "{")
                    p += 1
                    skipWhitespace()
                    if peek == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        p += 1
                        break
                    }
                    if isObject { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                    depth += 1
                    if isObject { try memberKey() }
                    continue
                default:
                    try number()
                }
                // After a value: close levels or move to the next element.
                while depth > 0 {
                    skipWhitespace()
                    let isObject = objects & (1 << UInt64(depth - 1)) != 0
                    if peek == UInt8(ascii: ",") {
                        p += 1
                        if isObject {
                            skipWhitespace()
                            try memberKey()
                        }
                        break
                    }
                    guard peek == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                        throw syntax(isObject ? "expected ',' or '}' after a value" : "expected ',' or ']' after a value")
                    }
                    p += 1
                    depth -= 1
                }
                if depth == 0 { return }
            }
        }

        /// Reads `"key" :` inside an object being skipped.
        private mutating func memberKey() throws(Failure) {
            guard peek == UInt8(ascii: "\"") else { throw syntax("expected a key in quotes") }
            _ = try string()
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { throw syntax("expected ':' after the key") }
            p += 1
        }
    }
}
