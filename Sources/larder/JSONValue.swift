import Larder

/// A small JSON value for the CLI's `--format json` output, rendered with
/// keys in sorted order.
enum JSONValue: ExpressibleByStringLiteral {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([String: JSONValue])

    init(stringLiteral value: String) { self = .string(value) }

    /// The compact JSON text.
    var rendered: String {
        switch self {
        case .string(let s): return JSONValue.quote(s)
        case .int(let n): return String(n)
        case .double(let d): return d.isFinite ? String(d) : "null"
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items): return "[" + items.map(\.rendered).joined(separator: ",") + "]"
        case .object(let fields):
            return "{" + fields.sorted { $0.key < $1.key }.map { JSONValue.quote($0.key) + ":" + $0.value.rendered }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String { jsonQuoted(s) }
}
