import Foundation

/// Reads and writes the registry tables: entities, view versions, features,
/// feature sets. Every function takes the connection it runs on; writes are
/// meant to run inside the caller's transaction.
enum Registry {
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

    /// Carries out `plan`, whose end state is `target`; run inside a transaction.
    static func execute(_ plan: ApplyPlan, target: RegistrySnapshot, current: RegistrySnapshot,
                        carryData: Bool, db: Connection) throws {
        let now = Timestamp.nowMicroseconds()
        for step in plan.steps where step.action != .unchanged {
            switch step.kind {
            case "entity":
                let entity = target.entities[step.name]!
                let sql = "INSERT INTO entities (name, join_keys, description) VALUES (?1, ?2, ?3) ON CONFLICT(name) DO UPDATE SET join_keys = ?2, description = ?3"
                let statement = try db.statement(sql)
                statement.bind(entity.name, at: 1)
                statement.bind(try encode(entity.joinKeys.map { StoredJoinKey(name: $0.name, type: $0.type.rawValue) }), at: 2)
                statement.bind(entity.description, at: 3)
                try statement.run()
            case "feature view":
                let view = target.latest(step.name)!
                if step.action == .updateMetadata {
                    try updateMetadata(view, db: db)
                } else {
                    try insertVersion(view, createdAt: now, db: db)
                    if carryData, let previous = current.latest(step.name) {
                        try ViewTable.copyRows(from: previous, to: view, db: db)
                    }
                }
            default:
                let set = target.featureSets[step.name]!.last!
                if step.action == .updateMetadata {
                    let statement = try db.statement("UPDATE feature_sets SET description = ? WHERE name = ? AND version = ?")
                    statement.bind(set.description, at: 1)
                    statement.bind(set.name, at: 2)
                    statement.bind(Int64(set.version), at: 3)
                    try statement.run()
                } else {
                    let statement = try db.statement("INSERT INTO feature_sets (name, version, refs, description, created_at) VALUES (?, ?, ?, ?, ?)")
                    statement.bind(set.name, at: 1)
                    statement.bind(Int64(set.version), at: 2)
                    statement.bind(try encode(set.features.map(\.description)), at: 3)
                    statement.bind(set.description, at: 4)
                    statement.bind(now, at: 5)
                    try statement.run()
                }
            }
        }
    }

    private static func insertVersion(_ view: FeatureView, createdAt: Int64, db: Connection) throws {
        let parent = try db.statement("INSERT OR IGNORE INTO feature_views (name) VALUES (?)")
        parent.bind(view.name, at: 1)
        try parent.run()
        let insert = try db.statement("""
            INSERT INTO view_versions (view, version, entity, join_keys, ttl_us, description, owner, tags, table_name, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insert.bind(view.name, at: 1)
        insert.bind(Int64(view.version), at: 2)
        insert.bind(view.definition.entity, at: 3)
        insert.bind(try encode(view.joinKeys.map { StoredJoinKey(name: $0.name, type: $0.type.rawValue) }), at: 4)
        insert.bind(view.ttl, at: 5)
        insert.bind(view.definition.description, at: 6)
        insert.bind(view.definition.owner, at: 7)
        insert.bind(try encode(view.definition.tags), at: 8)
        insert.bind(view.tableName, at: 9)
        insert.bind(createdAt, at: 10)
        try insert.run()
        let id = db.lastInsertRowID
        let issued = try db.statement("""
            INSERT INTO view_version_numbers (view, last_version) VALUES (?1, ?2)
            ON CONFLICT(view) DO UPDATE SET last_version = max(last_version, excluded.last_version)
            """)
        issued.bind(view.name, at: 1)
        issued.bind(Int64(view.version), at: 2)
        try issued.run()
        try insertFeatures(view.features, versionID: id, db: db)
        try ViewTable.create(view, db: db)
    }

    private static func insertFeatures(_ features: [FeatureDefinition], versionID: Int64, db: Connection) throws {
        let statement = try db.statement("INSERT INTO features (view_version_id, position, name, type, expectations, description) VALUES (?, ?, ?, ?, ?, ?)")
        for (position, feature) in features.enumerated() {
            statement.bind(versionID, at: 1)
            statement.bind(Int64(position), at: 2)
            statement.bind(feature.name, at: 3)
            statement.bind(feature.type.description, at: 4)
            statement.bind(try encode(StoredExpectations(feature.expectations)), at: 5)
            statement.bind(feature.description, at: 6)
            try statement.run()
        }
    }

    private static func updateMetadata(_ view: FeatureView, db: Connection) throws {
        let statement = try db.statement("UPDATE view_versions SET description = ?, owner = ?, tags = ? WHERE view = ? AND version = ?")
        statement.bind(view.definition.description, at: 1)
        statement.bind(view.definition.owner, at: 2)
        statement.bind(try encode(view.definition.tags), at: 3)
        statement.bind(view.name, at: 4)
        statement.bind(Int64(view.version), at: 5)
        try statement.run()
        let feature = try db.statement("""
            UPDATE features SET expectations = ?, description = ?
            WHERE view_version_id = (SELECT id FROM view_versions WHERE view = ? AND version = ?) AND name = ?
            """)
        for f in view.features {
            feature.bind(try encode(StoredExpectations(f.expectations)), at: 1)
            feature.bind(f.description, at: 2)
            feature.bind(view.name, at: 3)
            feature.bind(Int64(view.version), at: 4)
            feature.bind(f.name, at: 5)
            try feature.run()
        }
    }

    /// Removes one version of a view: its table and its registry rows. Its
    /// runs stay listed (rows carried to a newer version still name them),
    /// and its number is never issued again (`view_version_numbers`).
    static func drop(_ view: FeatureView, snapshot: RegistrySnapshot, db: Connection) throws {
        let users = snapshot.featureSets.values.compactMap(\.last).filter { set in
            set.features.contains { $0.view == view.name && $0.version == view.version }
        }
        if !users.isEmpty {
            throw LarderError.conflict("cannot drop \(view.qualifiedName): feature set\(users.count == 1 ? "" : "s") \(users.map(\.name).sorted().joined(separator: ", ")) pin\(users.count == 1 ? "s" : "") it (apply a new version of the set first)")
        }
        db.clearStatementCache()
        try db.execute("DROP TABLE IF EXISTS \(Identifier.quoted(view.tableName))")
        let delete = try db.statement("DELETE FROM view_versions WHERE view = ? AND version = ?")
        delete.bind(view.name, at: 1)
        delete.bind(Int64(view.version), at: 2)
        try delete.run()
        let orphan = try db.statement("DELETE FROM feature_views WHERE name = ? AND NOT EXISTS (SELECT 1 FROM view_versions WHERE view = ?)")
        orphan.bind(view.name, at: 1)
        orphan.bind(view.name, at: 2)
        try orphan.run()
    }

    // MARK: JSON columns

    struct StoredJoinKey: Codable {
        var name: String
        var type: String
    }

    struct StoredExpectations: Codable {
        var not_null: Bool?
        var min: Double?
        var max: Double?
        var allowed: [String]?
        var allow_nan: Bool?

        init(_ e: Expectations) {
            not_null = e.notNull ? true : nil
            min = e.min
            max = e.max
            allowed = e.allowed
            allow_nan = e.allowNaN ? true : nil
        }

        var expectations: Expectations {
            Expectations(notNull: not_null ?? false, min: min, max: max, allowed: allowed, allowNaN: allow_nan ?? false)
        }
    }

    static func encode(_ value: some Encodable) throws -> String {
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
