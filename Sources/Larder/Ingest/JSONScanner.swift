#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A cursor over the bytes of one JSON text (a JSON Lines line, a request
/// body) with the JSON grammar's pieces: strings checked and unescaped,
/// literals, numbers, and whole values skipped up to ``maxDepth`` levels
/// deep. The caller checks UTF-8 first (``firstInvalidUTF8Offset()``) and
/// walks the structure it expects; every piece throws a ``Failure`` naming
/// the byte where the text stops being what it should be.
package struct JSONScanner {
    /// Why a text was refused.
    package struct Failure: Error {
        /// The key the problem is about, or empty for a syntax error.
        package var column: String
        /// The offending text.
        package var value: String
        /// What is wrong, with the byte position for syntax errors.
        package var reason: String

        /// A failure about `column`'s `value`.
        package init(column: String, value: String, reason: String) {
            self.column = column
            self.value = value
            self.reason = reason
        }
    }

    /// The deepest nesting of arrays and objects ``skipValue()`` accepts.
    package static let maxDepth = 64
    /// A string token: the bytes between its quotes, and whether they hold
    /// escapes.
    package struct StringToken {
        /// The bytes between the quotes.
        package var range: Range<Int>
        /// Whether `range` holds a backslash escape.
        package var escaped: Bool
    }

    /// The line.
    package let b: UnsafePointer<UInt8>
    /// The line's length.
    package let n: Int
    /// The position of the next byte to read.
    package var p = 0

    /// What the text is, for positions in messages ("line", "body").
    package let unit: String

    /// A scanner at the start of `text`, which is not empty, called `unit`
    /// in messages ("at byte 7 of the line").
    package init(_ text: UnsafeRawBufferPointer, unit: String = "line") {
        b = text.baseAddress!.assumingMemoryBound(to: UInt8.self)
        n = text.count
        self.unit = unit
    }

    /// The byte at the position, or 0 at the end.
    package var peek: UInt8 { p < n ? b[p] : 0 }

    /// The bytes in `range`.
    package func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: b + range.lowerBound, count: range.count)
    }

    /// The bytes in `range`, decoded for a problem's value.
    package func text(_ range: Range<Int>) -> String {
        String(decoding: bytes(range).prefix(100), as: UTF8.self)
    }

    /// A syntax error at the position: `expected`, then where.
    package func syntax(_ expected: String) -> Failure {
        malformed("\(expected) \(p < n ? "at byte \(p + 1) of the \(unit)" : "at the end of the \(unit)")")
    }

    /// A syntax error whose value is the whole line.
    package func malformed(_ reason: String) -> Failure {
        Failure(column: "", value: text(0 ..< n), reason: "malformed JSON: \(reason)")
    }

    /// Skips JSON whitespace.
    package mutating func skipWhitespace() {
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
    package mutating func string() throws(Failure) -> StringToken {
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
    package func unescape(_ token: StringToken, into out: inout [UInt8]) throws(Failure) {
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
                JSONScanner.appendUTF8(scalar, to: &out)
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
        malformed("invalid escape in a string at byte \(i + 1) of the \(unit)")
    }

    /// The failure for a surrogate `\u` escape without its pair at `i`.
    private func unpairedSurrogate(_ code: UInt32, at i: Int) -> Failure {
        malformed("unpaired surrogate \\u\(String(code, radix: 16, uppercase: true)) at byte \(i + 1) of the \(self.unit)")
    }

    /// Appends the UTF-8 encoding of `scalar` (not a surrogate) to `out`.
    package static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
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

    /// After a value inside an array (`close` is `]`) or an object (`}`):
    /// consumes a `,` and the whitespace after it and answers true (another
    /// element follows), or consumes the closing bracket and answers false.
    ///
    /// - Throws: a syntax ``Failure`` for any other byte.
    package mutating func nextElement(closing close: UInt8) throws(Failure) -> Bool {
        skipWhitespace()
        if peek == UInt8(ascii: ",") {
            p += 1
            skipWhitespace()
            return true
        }
        guard peek == close else { throw syntax("expected ',' or '\(Character(Unicode.Scalar(close)))' after a value") }
        p += 1
        return false
    }

    /// Reads the literal `word` (`true`, `false`, `null`).
    package mutating func literal(_ word: StaticString) throws(Failure) {
        let length = word.utf8CodeUnitCount
        guard n - p >= length, memcmp(b + p, word.utf8Start, length) == 0 else {
            throw syntax("expected a value")
        }
        p += length
    }

    /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    package mutating func number() throws(Failure) {
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
    package mutating func skipValue() throws(Failure) {
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
                guard depth < JSONScanner.maxDepth else {
                    throw syntax("nesting deeper than \(JSONScanner.maxDepth) levels")
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
