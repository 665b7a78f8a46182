/// The answer of an online retrieval: for each requested feature, one value,
/// one status and one event time per entity, in entity order (the shape of
/// `POST /v1/online-features`).
public struct OnlineResult: Sendable {
    /// The feature names, `feature` or `view__feature`, in request order.
    public let featureNames: [String]
    /// One column per feature, one row per entity; null unless the status is
    /// ``FeatureStatus/present``.
    public let values: [Column]
    /// `statuses[f][e]`: the status of feature `f` for entity `e`.
    public let statuses: [[FeatureStatus]]
    /// `eventTimestamps[f][e]`: the event time of the row that answers
    /// feature `f` for entity `e`, `nil` when no row does.
    public let eventTimestamps: [[Timestamp?]]

    /// The number of entities.
    public var entityCount: Int { values.first?.count ?? 0 }
}

extension OnlineResult {
    /// The event time Feast's feature server gives join keys and missing
    /// rows: the epoch.
    static let noEventTime = "1970-01-01T00:00:00Z"

    /// The answer in the JSON shape of semantics §8 (Feast's feature
    /// server): `{"metadata": {"feature_names": [keys…, features…]},
    /// "results": [{"values": […], "statuses": […], "event_timestamps": […]}, …]}`,
    /// one result per column — the join keys of `entities` first (status
    /// `PRESENT`), then each feature — with entity order kept. Event times
    /// are RFC 3339 strings; a join key's, and a feature's without a row,
    /// are the epoch (`1970-01-01T00:00:00Z`), as Feast's are.
    public func json(entities: FeatureFrame) -> String {
        let rows = 0..<entityCount
        let epoch = JSONValue.string(OnlineResult.noEventTime)
        var results: [JSONValue] = entities.columns.map { column in
            .object(["values": .array(rows.map { JSONValue(column, row: $0) }),
                     "statuses": .array(rows.map { _ in .string(FeatureStatus.present.rawValue) }),
                     "event_timestamps": .array(rows.map { _ in epoch })])
        }
        results += values.indices.map { f in
            .object(["values": .array(rows.map { JSONValue(values[f], row: $0) }),
                     "statuses": .array(statuses[f].map { .string($0.rawValue) }),
                     "event_timestamps": .array(eventTimestamps[f].map { $0.map { .string($0.description) } ?? epoch })])
        }
        return JSONValue.object([
            "metadata": .object(["feature_names": .array((entities.names + featureNames).map { .string($0) })]),
            "results": .array(results),
        ]).rendered
    }
}
