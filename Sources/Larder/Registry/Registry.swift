import Foundation

/// Plans and carries out changes to the registry (entities, view versions,
/// features, feature sets) through a ``RegistryStorage``; writes are meant
/// to run inside the storage's write transaction.
package enum Registry {
    // MARK: Planning

    /// Compares `definitions` with `current` and decides each object's action.
    /// Checks every cross reference (entities, features of feature sets) and
    /// reports mistakes with the definitions file's line.
    static func plan(_ definitions: Definitions, against current: RegistrySnapshot) throws(LarderError) -> (ApplyPlan, RegistrySnapshot) {
        var plan = ApplyPlan()
        var next = current
        let viewsInFile = Set(definitions.featureViews.map(\.name))
        for (i, entity) in definitions.entities.enumerated() {
            let action: ApplyPlan.Action
            var detail = ""
            if let existing = current.entities[entity.name] {
                if existing.joinKeys != entity.joinKeys {
                    action = .changeJoinKeys
                    detail = joinKeyChange(from: existing.joinKeys, to: entity.joinKeys)
                    // A view left out of the file would keep a table keyed the old way.
                    for name in current.views.keys.sorted() where !viewsInFile.contains(name) {
                        if let latest = current.latest(name), latest.definition.entity == entity.name, latest.joinKeys != entity.joinKeys {
                            throw definitions.error("entities[\(i)].join_keys", "the join keys of entity \"\(entity.name)\" change (\(detail)), "
                                + "but its feature view \"\(name)\" (\(latest.qualifiedName)) is not in this file: "
                                + "add it, so that it gets a new version with the new keys")
                        }
                    }
                } else {
                    action = existing == entity ? .unchanged : .updateMetadata
                }
            } else {
                action = .create
            }
            plan.steps.append(.init(kind: "entity", name: entity.name, action: action, detail: detail))
            next.entities[entity.name] = entity
        }
        for (i, view) in definitions.featureViews.enumerated() {
            let key = "feature_views[\(i)]"
            guard let entity = next.entities[view.entity] else {
                throw definitions.error("\(key).entity", "unknown entity \"\(view.entity)\"" + current.suggestion(view.entity, among: Array(next.entities.keys)))
            }
            for (j, feature) in view.features.enumerated() where entity.joinKeys.contains(where: { $0.name == feature.name }) {
                throw definitions.error("\(key).features[\(j)].name", "feature \"\(feature.name)\" has the name of a join key of entity \"\(entity.name)\"")
            }
            let otherColumns = entity.joinKeys.count + ViewTable.fixedColumns.count
            if otherColumns + view.features.count > current.columnLimit {
                throw definitions.error("\(key).features", "\(view.features.count) features are too many: a table holds at most "
                    + "\(current.columnLimit) columns (SQLite's limit), and \(otherColumns) of them are the join keys, "
                    + "\(ViewTable.fixedColumns.joined(separator: ", ")), so this view can have at most \(current.columnLimit - otherColumns) features")
            }
            let action: ApplyPlan.Action
            var detail = ""
            if let latest = current.latest(view.name) {
                if view.schemaDiffers(from: latest.definition) || entity.joinKeys != latest.joinKeys {
                    action = .newVersion(current.nextVersion(of: view.name))
                    detail = schemaChange(from: latest, to: view, keys: entity.joinKeys)
                } else if view != latest.definition {
                    action = .updateMetadata
                } else {
                    action = .unchanged
                }
            } else if let last = current.lastIssuedVersions[view.name] {
                action = .newVersion(current.nextVersion(of: view.name))
                detail = "versions up to \(last) were dropped"
            } else {
                action = .create
            }
            plan.steps.append(.init(kind: "feature view", name: view.name, action: action, detail: detail))
            switch action {
            case .create, .newVersion:
                let version = current.nextVersion(of: view.name)
                next.views[view.name, default: []].append(FeatureView(id: -1, version: version, definition: view, joinKeys: entity.joinKeys, createdAt: 0))
            case .updateMetadata:
                var all = next.views[view.name]!
                all[all.count - 1].definition = view
                next.views[view.name] = all
            case .unchanged, .changeJoinKeys: // (the latter is for entities only)
                break
            }
        }
        for (i, set) in definitions.featureSets.enumerated() {
            let key = "feature_sets[\(i)]"
            var pinned: [FeatureReference] = []
            for (j, ref) in set.features.enumerated() {
                do {
                    pinned += try next.resolve([ref]).map(\.reference)
                } catch {
                    throw definitions.error("\(key).features[\(j)]", "\(error)")
                }
            }
            let action: ApplyPlan.Action
            if let latest = current.featureSets[set.name]?.last {
                action = latest.features == pinned ? (latest.description == set.description ? .unchanged : .updateMetadata) : .newVersion(latest.version + 1)
            } else {
                action = .create
            }
            plan.steps.append(.init(kind: "feature set", name: set.name, action: action, detail: ""))
            let version = (current.featureSets[set.name]?.last?.version ?? 0) + (action == .create || action.isNewVersion ? 1 : 0)
            if action != .unchanged {
                var all = next.featureSets[set.name] ?? []
                let entry = FeatureSet(name: set.name, version: version, features: pinned, description: set.description, createdAt: 0)
                if action == .updateMetadata { all[all.count - 1] = entry } else { all.append(entry) }
                next.featureSets[set.name] = all
            }
        }
        return (plan, next)
    }

    private static func schemaChange(from old: FeatureView, to new: FeatureViewDefinition, keys: [JoinKey]) -> String {
        var parts: [String] = []
        if old.definition.entity != new.entity {
            parts.append("entity \(old.definition.entity) → \(new.entity)")
        } else if old.joinKeys != keys {
            parts.append("join keys changed: \(joinKeyChange(from: old.joinKeys, to: keys))")
        }
        if old.ttl != new.ttl { parts.append("ttl \(DurationText.format(old.ttl)) → \(DurationText.format(new.ttl))") }
        let oldNames = Set(old.features.map(\.name)), newNames = Set(new.features.map(\.name))
        let added = new.features.map(\.name).filter { !oldNames.contains($0) }
        let removed = old.features.map(\.name).filter { !newNames.contains($0) }
        if !added.isEmpty { parts.append("added \(added.joined(separator: ", "))") }
        if !removed.isEmpty { parts.append("removed \(removed.joined(separator: ", "))") }
        for feature in new.features {
            if let before = old.features.first(where: { $0.name == feature.name }), before.type != feature.type {
                parts.append("\(feature.name) \(before.type) → \(feature.type)")
            }
        }
        if parts.isEmpty { parts.append("feature order changed") }
        return parts.joined(separator: "; ")
    }

    /// `driver_id int64 → string` for one changed key, or both lists in full
    /// (`driver_id int64 → driver_id int64, city string`) when keys were added,
    /// removed or renamed.
    private static func joinKeyChange(from old: [JoinKey], to new: [JoinKey]) -> String {
        if old.count == new.count, zip(old, new).allSatisfy({ $0.name == $1.name }) {
            return zip(old, new).filter { $0.type != $1.type }.map { "\($0.name) \($0.type) → \($1.type)" }.joined(separator: ", ")
        }
        let list = { (keys: [JoinKey]) in keys.map { "\($0.name) \($0.type)" }.joined(separator: ", ") }
        return "\(list(old)) → \(list(new))"
    }

    // MARK: Executing

    /// Carries out `plan`, whose end state is `target`, on `storage`; run
    /// inside its write transaction.
    static func execute(_ plan: ApplyPlan, target: RegistrySnapshot, current: RegistrySnapshot,
                        carryData: Bool, storage: some RegistryStorage) throws {
        let now = Timestamp.nowMicroseconds()
        for step in plan.steps where step.action != .unchanged {
            switch step.kind {
            case "entity":
                try storage.save(target.entities[step.name]!)
            case "feature view":
                let view = target.latest(step.name)!
                if step.action == .updateMetadata {
                    try storage.updateMetadata(of: view)
                } else {
                    try storage.insertVersion(view, createdAt: now)
                    if carryData, let previous = current.latest(step.name) {
                        guard previous.joinKeys == view.joinKeys else {
                            throw LarderError.conflict("cannot carry data from \(previous.qualifiedName) to \(view.qualifiedName): the join keys differ")
                        }
                        try storage.copyRows(from: previous, to: view)
                    }
                }
            default:
                let set = target.featureSets[step.name]!.last!
                if step.action == .updateMetadata {
                    try storage.updateDescription(of: set)
                } else {
                    try storage.insert(set, createdAt: now)
                }
            }
        }
    }

    /// Removes one version of a view from `storage`: its table and its
    /// registry rows. Its runs stay listed (rows carried to a newer version
    /// still name them), and its number is never issued again. Refused while
    /// the latest version of a feature set pins it.
    static func drop(_ view: FeatureView, snapshot: RegistrySnapshot, storage: some RegistryStorage) throws {
        let users = snapshot.featureSets.values.compactMap(\.last).filter { set in
            set.features.contains { $0.view == view.name && $0.version == view.version }
        }
        if !users.isEmpty {
            throw LarderError.conflict("cannot drop \(view.qualifiedName): feature set\(users.count == 1 ? "" : "s") \(users.map(\.name).sorted().joined(separator: ", ")) pin\(users.count == 1 ? "s" : "") it (apply a new version of the set first)")
        }
        try storage.dropVersion(view)
    }

    // MARK: JSON columns

    package struct StoredJoinKey: Codable {
        var name: String
        var type: String

        /// The stored form of a join key named `name` of type `type`.
        package init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    package struct StoredExpectations: Codable {
        var not_null: Bool?
        var min: Double?
        var max: Double?
        var allowed: [String]?
        var allow_nan: Bool?
        var max_null_rate: Double?
        var max_reject_rate: Double?
        var drift: StoredDrift?

        package init(_ e: Expectations) {
            not_null = e.notNull ? true : nil
            min = e.min
            max = e.max
            allowed = e.allowed
            allow_nan = e.allowNaN ? true : nil
            max_null_rate = e.maxNullRate
            max_reject_rate = e.maxRejectRate
            drift = e.drift.isEmpty ? nil : StoredDrift(e.drift)
        }

        var expectations: Expectations {
            Expectations(notNull: not_null ?? false, min: min, max: max, allowed: allowed, allowNaN: allow_nan ?? false,
                         maxNullRate: max_null_rate, maxRejectRate: max_reject_rate, drift: drift?.overrides ?? DriftOverrides())
        }
    }

    /// A feature's drift thresholds as stored (rates as fractions).
    struct StoredDrift: Codable {
        var psi: Double?
        var ks: Double?
        var js: Double?
        var null_rate_increase: Double?
        var reject_rate_increase: Double?

        init(_ d: DriftOverrides) {
            psi = d.psi
            ks = d.ks
            js = d.js
            null_rate_increase = d.nullRateIncrease
            reject_rate_increase = d.rejectRateIncrease
        }

        var overrides: DriftOverrides {
            DriftOverrides(psi: psi, ks: ks, js: js, nullRateIncrease: null_rate_increase, rejectRateIncrease: reject_rate_increase)
        }
    }

    package static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension ApplyPlan.Action {
    var isNewVersion: Bool {
        if case .newVersion = self { return true }
        return false
    }
}
