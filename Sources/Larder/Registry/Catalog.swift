/// The registry, runs and view versions as JSON (semantics §5): the bytes
/// that `larder list|versions|runs|describe --format json` print and that a
/// server returns, from one place.
extension RegistrySnapshot {
    /// Every entity, the latest version of every view and feature set, as a
    /// JSON array of objects with a `kind` (`entity`, `feature_view`,
    /// `feature_set`), sorted by kind then name.
    public func catalogJSON() -> String {
        var items: [JSONValue] = []
        items += entities.values.sorted { $0.name < $1.name }.map {
            .object(["kind": "entity", "name": .string($0.name), "join_keys": .array($0.joinKeys.map { .string("\($0.name):\($0.type)") })])
        }
        items += views.values.compactMap(\.last).sorted { $0.name < $1.name }.map { view in
            .object(["kind": "feature_view", "name": .string(view.name), "version": .int(view.version), "entity": .string(view.definition.entity),
                     "ttl": .string(DurationText.format(view.ttl)), "features": .int(view.features.count)])
        }
        items += featureSets.values.compactMap(\.last).sorted { $0.name < $1.name }.map {
            .object(["kind": "feature_set", "name": .string($0.name), "version": .int($0.version), "features": .int($0.features.count)])
        }
        return JSONValue.array(items).rendered
    }

    /// The latest version of every feature set, sorted by name, as a JSON
    /// array of objects with `name`, `version`, `created_at` and `features`
    /// (the pinned references, `view@N:feature`).
    public func featureSetsJSON() -> String {
        JSONValue.array(featureSets.values.compactMap(\.last).sorted { $0.name < $1.name }.map { set in
            .object(["name": .string(set.name), "version": .int(set.version), "created_at": .string(set.createdAt.description),
                     "features": .array(set.features.map { .string($0.description) })])
        }).rendered
    }

    /// Every stored version of the view `name`, oldest first, as a JSON array
    /// of objects with `version`, `created_at`, `ttl`, `entity` and
    /// `features` (`name:type`).
    ///
    /// - Throws: ``LarderError/Category/notFound`` for an unknown view.
    public func versionsJSON(of name: String) throws(LarderError) -> String {
        _ = try view(name)
        return JSONValue.array((views[name] ?? []).map { v in
            .object(["version": .int(v.version), "created_at": .string(v.createdAt.description),
                     "ttl": .string(DurationText.format(v.ttl)), "entity": .string(v.definition.entity),
                     "features": .array(v.features.map { .string("\($0.name):\($0.type)") })])
        }).rendered
    }
}

extension FeatureView {
    /// The version in full as a JSON object: `name`, `version`, `entity`,
    /// `join_keys`, `ttl`, `created_at`, `description`, and `features` with
    /// their `name`, `type` and `expect`.
    public func json() -> String {
        JSONValue.object([
            "name": .string(name), "version": .int(version), "entity": .string(definition.entity),
            "join_keys": .array(joinKeys.map { .object(["name": .string($0.name), "type": .string($0.type.description)]) }),
            "ttl": .string(DurationText.format(ttl)), "created_at": .string(createdAt.description),
            "description": .string(definition.description),
            "features": .array(features.map { .object(["name": .string($0.name), "type": .string($0.type.description),
                                                        "expect": .string($0.expectations.description)]) }),
        ]).rendered
    }
}

extension Expectations: CustomStringConvertible {
    /// The expectations as `{not_null: true, min: 0, …}`, empty when there are none.
    public var description: String {
        var parts: [String] = []
        if notNull { parts.append("not_null: true") }
        if let min { parts.append("min: \(min)") }
        if let max { parts.append("max: \(max)") }
        if let allowed { parts.append("allowed: [\(allowed.joined(separator: ", "))]") }
        if allowNaN { parts.append("allow_nan: true") }
        if let maxNullRate { parts.append("max_null_rate: \(maxNullRate)") }
        if let maxRejectRate { parts.append("max_reject_rate: \(maxRejectRate)") }
        if !drift.isEmpty {
            let figures = [("psi", drift.psi), ("ks", drift.ks), ("js", drift.js), ("null_rate_points", drift.nullRateIncrease.map { $0 * 100 }),
                           ("reject_rate_points", drift.rejectRateIncrease.map { $0 * 100 })]
            parts.append("drift: {\(figures.compactMap { name, value in value.map { "\(name): \($0)" } }.joined(separator: ", "))}")
        }
        return parts.isEmpty ? "" : "{\(parts.joined(separator: ", "))}"
    }
}
