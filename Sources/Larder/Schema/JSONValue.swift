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
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
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
