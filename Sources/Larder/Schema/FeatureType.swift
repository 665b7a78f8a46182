/// The type of a feature value (semantics §1). Every value may also be null.
public enum FeatureType: Hashable, Sendable, CustomStringConvertible {
    case int64
    case float64
    case bool
    case string
    case bytes
    /// Microseconds since the Unix epoch, UTC.
    case timestamp
    /// A fixed-length embedding of `dimension` Float32 values.
    case vector(dimension: Int)

    /// Parses the spelling used in definitions files and the registry:
    /// `int64`, `float64`, `bool`, `string`, `bytes`, `timestamp`, `vector<float32, N>`.
    public init?(parsing text: String) {
        switch text {
        case "int64": self = .int64
        case "float64": self = .float64
        case "bool": self = .bool
        case "string": self = .string
        case "bytes": self = .bytes
        case "timestamp": self = .timestamp
        default:
            let compact = text.filter { $0 != " " }
            guard compact.hasPrefix("vector<float32,"), compact.hasSuffix(">") else { return nil }
            let digits = compact.dropFirst("vector<float32,".count).dropLast()
            guard let n = Int(digits), n > 0, n <= 65_536 else { return nil }
            self = .vector(dimension: n)
        }
    }

    /// The canonical spelling, as accepted by ``init(parsing:)``.
    public var description: String {
        switch self {
        case .int64: "int64"
        case .float64: "float64"
        case .bool: "bool"
        case .string: "string"
        case .bytes: "bytes"
        case .timestamp: "timestamp"
        case .vector(let n): "vector<float32, \(n)>"
        }
    }

    /// The SQLite column type used to store values of this type.
    var sqlType: String {
        switch self {
        case .int64, .bool, .timestamp: "INTEGER"
        case .float64: "REAL"
        case .string: "TEXT"
        case .bytes, .vector: "BLOB"
        }
    }
}

/// The type of an entity join key.
public enum KeyType: String, Hashable, Sendable, CustomStringConvertible {
    case int64
    case string

    /// The spelling used in definitions files.
    public var description: String { rawValue }

    /// The equivalent feature type.
    public var featureType: FeatureType { self == .int64 ? .int64 : .string }
}
