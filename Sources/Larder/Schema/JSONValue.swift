/// A JSON value, rendered compactly with object keys in sorted order: the
/// one JSON writer behind every `--format json` listing, the online answer
/// and the reject file, so every client prints the same bytes.
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
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Row `row` of `column`: numbers, strings, booleans, timestamps as RFC
    /// 3339 strings, bytes as base64, vectors as arrays, non-finite floats
    /// as the strings `NaN`, `Infinity`, `-Infinity`.
    package init(_ column: Column, row: Int) {
        switch column.value(row) {
        case .null: self = .null
        case .int64(let v): self = .int(Int(v))
        case .float64(let v): self = v.isFinite ? .double(v) : .string(v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))
        case .bool(let v): self = .bool(v)
        case .string(let v): self = .string(v)
        case .timestamp(let v): self = .string(v.description)
        case .bytes: self = .string(column.value(row).text)
        case .vector(let v): self = .array(v.map { .double(Double($0)) })
        }
    }
}
