/// The key of one entity instance: one value per join key, in the entity's
/// join key order (for a composite key such as `(customer_id, merchant)`).
///
/// ```swift
/// let row = try reader.read(key: EntityKey(.int64(42), .string("acme")))
/// ```
public struct EntityKey: Hashable, Sendable, CustomStringConvertible {
    /// One join key value.
    public enum Part: Hashable, Sendable {
        /// The value of an `int64` join key.
        case int64(Int64)
        /// The value of a `string` join key.
        case string(String)

        var type: KeyType {
            switch self {
            case .int64: .int64
            case .string: .string
            }
        }
    }

    /// The values, one per join key.
    public var parts: [Part]

    /// A key made of `parts`, one per join key.
    public init(_ parts: Part...) {
        self.parts = parts
    }

    /// A key made of `parts`, one per join key.
    public init(parts: [Part]) {
        self.parts = parts
    }

    /// `(42, "acme")`.
    public var description: String {
        "(" + parts.map {
            switch $0 {
            case .int64(let value): String(value)
            case .string(let value): "\"\(value)\""
            }
        }.joined(separator: ", ") + ")"
    }
}

extension EntityKey: KeyProbe {
    package func int64(_ component: Int) -> Int64 {
        guard case .int64(let value) = parts[component] else { preconditionFailure("key part \(component) is not an int64") }
        return value
    }

    package func withUTF8<R>(_ component: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        guard case .string(var value) = parts[component] else { preconditionFailure("key part \(component) is not a string") }
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}

/// A key of one `int64` join key.
struct Int64Key: KeyProbe {
    let value: Int64

    @inline(__always) func int64(_ component: Int) -> Int64 { value }

    func withUTF8<R>(_ component: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        preconditionFailure("an int64 key has no text")
    }
}

/// A key of one `string` join key.
struct StringKey: KeyProbe {
    let value: String

    func int64(_ component: Int) -> Int64 { preconditionFailure("a string key has no integer") }

    @inline(__always) func withUTF8<R>(_ component: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var value = value
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
