/// A JSON value, rendered compactly with object keys in sorted order: the
/// one JSON writer behind every `--format json` listing and the reject
/// file, so every client prints the same bytes. Its string quoting
/// (``appendQuoted(_:to:)``) and its spelling of non-finite numbers are
/// also what the online answer (``OnlineResult``) and JSON Lines exports write.
package enum JSONValue: Sendable, Equatable, ExpressibleByStringLiteral {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    /// A string value.
    package init(stringLiteral value: String) { self = .string(value) }

    /// The compact JSON text (non-finite doubles as `null`).
    package var rendered: String {
        switch self {
        case .string(let s): return JSONValue.quoted(s)
        case .int(let n): return String(n)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.sorted { $0.key < $1.key }.map { JSONValue.quoted($0.key) + ":" + $0.value.rendered }.joined(separator: ",") + "}"
        }
    }

    /// `text` as a JSON string literal (control characters escaped).
    package static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal (``quoted(_:)``) to `out`.
    package static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { appendQuoted($0, to: &out) }
    }

    /// Appends the UTF-8 `text` as a JSON string literal: `"` and `\`
    /// escaped, control characters as `\n` `\r` `\t` `\b` `\f` or `\u00XX`,
    /// everything else (non-ASCII included) copied as it is, a run at a
    /// time. The text is taken to be valid UTF-8, as every Larder reader
    /// ensures.
    package static func appendQuoted(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in text.indices {
            let byte = text[i]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<i]))
            runStart = i + 1
            switch byte {
            case UInt8(ascii: "\""): TextFormatting.appendASCII("\\\"", to: &out)
            case UInt8(ascii: "\\"): TextFormatting.appendASCII("\\\\", to: &out)
            case 0x0A: TextFormatting.appendASCII("\\n", to: &out)
            case 0x0D: TextFormatting.appendASCII("\\r", to: &out)
            case 0x09: TextFormatting.appendASCII("\\t", to: &out)
            case 0x08: TextFormatting.appendASCII("\\b", to: &out)
            case 0x0C: TextFormatting.appendASCII("\\f", to: &out)
            default:
                TextFormatting.appendASCII("\\u00", to: &out)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 15)])
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart...]))
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `"NaN"`, `"Infinity"` or `"-Infinity"`: JSON has no
    /// non-finite numbers, so they are strings, distinct from null, that
    /// Python's `float()` and pandas read back as the values.
    package static func appendNonFinite(isNaN: Bool, isNegative: Bool, to out: inout [UInt8]) {
        if isNaN {
            TextFormatting.appendASCII("\"NaN\"", to: &out)
        } else {
            TextFormatting.appendASCII(isNegative ? "\"-Infinity\"" : "\"Infinity\"", to: &out)
        }
    }

    /// Lowercase hexadecimal digits, for `\u00XX` escapes.
    private static let hexDigits = Array("0123456789abcdef".utf8)
}
