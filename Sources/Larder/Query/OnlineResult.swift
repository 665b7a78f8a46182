/// The answer of an online retrieval: for each requested feature, one value
/// and one status per entity, in entity order (the shape of
/// `POST /v1/online-features`).
public struct OnlineResult: Sendable {
    /// The feature names, `feature` or `view__feature`, in request order.
    public let featureNames: [String]
    /// One column per feature, one row per entity; null unless the status is
    /// ``FeatureStatus/present``.
    public let values: [Column]
    /// `statuses[f][e]`: the status of feature `f` for entity `e`.
    public let statuses: [[FeatureStatus]]

    /// The number of entities.
    public var entityCount: Int { values.first?.count ?? 0 }
}
