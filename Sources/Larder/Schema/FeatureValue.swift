/// One value of any feature type, for convenience APIs (row-wise writes,
/// printing). Hot paths use ``Column`` buffers instead.
public enum FeatureValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case int64(Int64)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])
    /// A point in time.
    case timestamp(Timestamp)
    case vector([Float])

    /// The value as text the way the CSV output writes it: bytes in base64,
    /// timestamps in RFC 3339, `null` for null.
    public var text: String {
        switch self {
        case .bytes(let v):
            var out: [UInt8] = []
            v.withUnsafeBufferPointer { TextFormatting.appendBase64($0, to: &out) }
            return String(decoding: out, as: UTF8.self)
        default:
            return description
        }
    }

    /// The text a user reads for this value; a NaN is `NaN`, as CSV and
    /// JSON output spell it and every reader accepts it.
    public var description: String {
        switch self {
        case .null: "null"
        case .int64(let v): String(v)
        case .float64(let v): v.isNaN ? "NaN" : String(v)
        case .bool(let v): String(v)
        case .string(let v): v
        case .bytes(let v): "<\(v.count) bytes>"
        case .timestamp(let v): v.description
        case .vector(let v): "[" + v.map { $0.isNaN ? "NaN" : String($0) }.joined(separator: ", ") + "]"
        }
    }
}
