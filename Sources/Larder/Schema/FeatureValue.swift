/// One value of any feature type, for convenience APIs (row-wise writes,
/// printing). Hot paths use ``Column`` buffers instead.
public enum FeatureValue: Hashable, Sendable, CustomStringConvertible {
    case null
    case int64(Int64)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case bytes([UInt8])
    /// Microseconds since the Unix epoch, UTC.
    case timestamp(Int64)
    case vector([Float])

    public var description: String {
        switch self {
        case .null: "null"
        case .int64(let v): String(v)
        case .float64(let v): String(v)
        case .bool(let v): String(v)
        case .string(let v): v
        case .bytes(let v): "<\(v.count) bytes>"
        case .timestamp(let v): Timestamp.format(v)
        case .vector(let v): "[" + v.map { String($0) }.joined(separator: ", ") + "]"
        }
    }
}
