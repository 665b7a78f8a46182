/// One join key of an entity: a name and its type.
public struct JoinKey: Hashable, Sendable {
    /// The key's column name.
    public var name: String
    /// `int64` or `string`.
    public var type: KeyType

    /// A join key named `name` of type `type`.
    public init(name: String, type: KeyType) {
        self.name = name
        self.type = type
    }
}

/// A thing features describe (a driver, a customer), identified by one or
/// more join keys.
public struct Entity: Hashable, Sendable {
    /// The entity's name.
    public var name: String
    /// The columns that identify one instance, in order.
    public var joinKeys: [JoinKey]
    /// Free text.
    public var description: String

    /// An entity named `name` with `joinKeys`.
    public init(name: String, joinKeys: [JoinKey], description: String = "") {
        self.name = name
        self.joinKeys = joinKeys
        self.description = description
    }
}
