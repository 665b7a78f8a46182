/// A feature view as written in a definitions file: what to store about an
/// entity, before it is versioned.
public struct FeatureViewDefinition: Hashable, Sendable {
    /// The view's name.
    public var name: String
    /// The name of the entity the features describe.
    public var entity: String
    /// Time to live in microseconds; 0 means no TTL.
    public var ttl: Int64
    /// The features, in column order.
    public var features: [FeatureDefinition]
    /// Free text (metadata: changing it does not make a new version).
    public var description: String
    /// Who owns the view (metadata).
    public var owner: String
    /// Free key/value labels (metadata).
    public var tags: [String: String]

    /// A view definition.
    public init(name: String, entity: String, ttl: Int64, features: [FeatureDefinition],
                description: String = "", owner: String = "", tags: [String: String] = [:]) {
        self.name = name
        self.entity = entity
        self.ttl = ttl
        self.features = features
        self.description = description
        self.owner = owner
        self.tags = tags
    }
}

/// One stored version of a feature view: its definition, the entity's join
/// keys as they were, and the table that holds its rows.
public struct FeatureView: Hashable, Sendable {
    /// The registry id of this version.
    public let id: Int64
    /// The version number, 1 for the first.
    public let version: Int
    /// The definition this version was created from (metadata may have been updated since).
    public var definition: FeatureViewDefinition
    /// The entity's join keys, fixed for this version.
    public let joinKeys: [JoinKey]
    /// When the version was created.
    public let createdAt: Timestamp

    /// The view's name.
    public var name: String { definition.name }
    /// The features, in column order.
    public var features: [FeatureDefinition] { definition.features }
    /// The TTL in microseconds (0 = none).
    public var ttl: Int64 { definition.ttl }
    /// `name@version`.
    public var qualifiedName: String { "\(name)@\(version)" }
    /// The SQLite table that holds this version's rows.
    public var tableName: String { "fv_\(name)_v\(version)" }

    /// The position of the feature named `name`.
    public func featureIndex(_ name: String) -> Int? { features.firstIndex { $0.name == name } }
}

extension FeatureViewDefinition {
    /// Whether `other` needs a new version of this view: the entity, the
    /// feature names, the feature types or the TTL differ (semantics §2).
    func schemaDiffers(from other: FeatureViewDefinition) -> Bool {
        entity != other.entity || ttl != other.ttl
            || features.map(\.name) != other.features.map(\.name)
            || features.map(\.type) != other.features.map(\.type)
    }
}
