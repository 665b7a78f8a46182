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

extension OnlineResult {
    /// The answer in the JSON shape of semantics §8 (Feast's feature
    /// server): `{"metadata": {"feature_names": [keys…, features…]},
    /// "results": [{"values": […], "statuses": […]}, …]}`, one result per
    /// column — the join keys of `entities` first (status `PRESENT`), then
    /// each feature — with entity order kept.
    public func json(entities: FeatureFrame) -> String {
        let rows = 0..<entityCount
        var results: [JSONValue] = entities.columns.map { column in
            .object(["values": .array(rows.map { JSONValue(column, row: $0) }),
                     "statuses": .array(rows.map { _ in .string(FeatureStatus.present.rawValue) })])
        }
        results += values.indices.map { f in
            .object(["values": .array(rows.map { JSONValue(values[f], row: $0) }),
                     "statuses": .array(statuses[f].map { .string($0.rawValue) })])
        }
        return JSONValue.object([
            "metadata": .object(["feature_names": .array((entities.names + featureNames).map { .string($0) })]),
            "results": .array(results),
        ]).rendered
    }
}
