import CLarderSQLite
import Foundation

extension Registry {
    /// The registry as one state of the store: read in one read
    /// transaction (or the caller's), so that another process's commit
    /// between two of its queries cannot make it look inconsistent.
    static func load(_ db: Connection) throws -> RegistrySnapshot {
        db.isInTransaction ? try loadTables(db) : try db.transaction(.deferred) { try loadTables(db) }
    }

    /// Loads the whole registry, checking every row: identifiers, types, JSON
    /// columns, and the references of each feature set's latest version.
    ///
    /// A row that Larder could not have written (the file was edited or
    /// damaged) throws ``LarderError/corruptStore(path:message:)`` naming the
    /// table, the row and the column, instead of being read as something else.
    private static func loadTables(_ db: Connection) throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        // See <https://www.sqlite.org/c3ref/limit.html>.
        snapshot.columnLimit = Int(sqlite3_limit(db.handle, SQLITE_LIMIT_COLUMN, -1))
        let entities = try db.statement("SELECT name, join_keys, description FROM entities")
        defer { entities.reset() }
        while try entities.step() {
            let row = RegistryRow(path: db.path, table: "entities", row: RegistryRow.shorten(entities.text(0)))
            let name = try row.identifier(entities.text(0), column: "name")
            snapshot.entities[name] = Entity(name: name, joinKeys: try row.joinKeys(entities.text(1)), description: entities.text(2))
        }
        let features = try db.statement("""
            SELECT f.view_version_id, f.name, f.type, f.expectations, f.description, v.view, v.version
            FROM features f LEFT JOIN view_versions v ON v.id = f.view_version_id
            ORDER BY f.view_version_id, f.position
            """)
        defer { features.reset() }
        var featuresByVersion: [Int64: [FeatureDefinition]] = [:]
        while try features.step() {
            let owner = features.isNull(5) ? "view_version_id \(features.int64(0))" : "\(RegistryRow.shorten(features.text(5)))@\(features.int64(6))"
            let row = RegistryRow(path: db.path, table: "features", row: "\(owner):\(RegistryRow.shorten(features.text(1)))")
            guard !features.isNull(5) else { throw row.corrupt("view_version_id", "no view version has id \(features.int64(0))") }
            let typeText = features.text(2)
            guard let type = FeatureType(parsing: typeText) else {
                throw row.corrupt("type", "unknown feature type \"\(RegistryRow.shorten(typeText))\"")
            }
            let expectations = try row.json(StoredExpectations.self, features.text(3), column: "expectations",
                                            expected: "a JSON object like {\"min\": 0, \"not_null\": true}")
            let feature = FeatureDefinition(name: try row.identifier(features.text(1), column: "name"), type: type,
                                            expectations: expectations.expectations, description: features.text(4))
            featuresByVersion[features.int64(0), default: []].append(feature)
        }
        let versions = try db.statement("""
            SELECT id, view, version, entity, join_keys, ttl_us, description, owner, tags, created_at
            FROM view_versions ORDER BY view, version
            """)
        defer { versions.reset() }
        while try versions.step() {
            let id = versions.int64(0), version = versions.int64(2)
            let row = RegistryRow(path: db.path, table: "view_versions", row: "\(RegistryRow.shorten(versions.text(1)))@\(version)")
            let name = try row.identifier(versions.text(1), column: "view")
            guard version >= 1 else { throw row.corrupt("version", "version \(version) is not a positive number") }
            let entity = try row.identifier(versions.text(3), column: "entity")
            guard snapshot.entities[entity] != nil else { throw row.corrupt("entity", "no entity named \"\(entity)\"") }
            let keys = try row.joinKeys(versions.text(4))
            let ttl = versions.int64(5)
            guard ttl >= 0 else { throw row.corrupt("ttl_us", "negative TTL \(ttl)") }
            let tags = try row.json([String: String].self, versions.text(8), column: "tags", expected: "a JSON object of strings")
            guard let viewFeatures = featuresByVersion[id] else { throw row.corrupt("id", "table features has no rows for view_version_id \(id)") }
            let definition = FeatureViewDefinition(
                name: name, entity: entity, ttl: ttl, features: viewFeatures,
                description: versions.text(6), owner: versions.text(7), tags: tags)
            let view = FeatureView(id: id, version: Int(version), definition: definition, joinKeys: keys, createdAt: Timestamp(microseconds: versions.int64(9)))
            snapshot.views[view.name, default: []].append(view)
        }
        let issued = try db.statement("SELECT view, last_version FROM view_version_numbers")
        defer { issued.reset() }
        while try issued.step() {
            snapshot.lastIssuedVersions[issued.text(0)] = Int(issued.int64(1))
        }
        let sets = try db.statement("SELECT name, version, refs, description, created_at FROM feature_sets ORDER BY name, version")
        defer { sets.reset() }
        while try sets.step() {
            let version = sets.int64(1)
            let row = RegistryRow(path: db.path, table: "feature_sets", row: "\(RegistryRow.shorten(sets.text(0)))@\(version)")
            let name = try row.identifier(sets.text(0), column: "name")
            guard version >= 1 else { throw row.corrupt("version", "version \(version) is not a positive number") }
            let texts = try row.json([String].self, sets.text(2), column: "refs", expected: "a JSON list of references like [\"view@1:feature\"]")
            var refs: [FeatureReference] = []
            for text in texts {
                let ref: FeatureReference
                do { ref = try FeatureReference(parsing: text) } catch { throw row.corrupt("refs", "\(error)") }
                guard ref.version != nil, ref.feature != nil else {
                    throw row.corrupt("refs", "reference \"\(RegistryRow.shorten(text))\" does not pin one feature of one view version (view@N:feature)")
                }
                refs.append(ref)
            }
            let set = FeatureSet(name: name, version: Int(version), features: refs, description: sets.text(3), createdAt: Timestamp(microseconds: sets.int64(4)))
            snapshot.featureSets[set.name, default: []].append(set)
        }
        // Only a set's latest version must resolve: `drop` may remove a view
        // version that an older version of a set pinned.
        for set in snapshot.featureSets.values.compactMap(\.last) {
            let row = RegistryRow(path: db.path, table: "feature_sets", row: "\(set.name)@\(set.version)")
            do { _ = try snapshot.resolve(set.features) } catch { throw row.corrupt("refs", "\(error)") }
        }
        return snapshot
    }
}

/// One row of a registry table being loaded: checks its columns and names
/// the store, the table, the row and the column in each error.
private struct RegistryRow {
    /// The store file.
    let path: String
    /// The registry table.
    let table: String
    /// How the row is named in messages (`driver_stats@2`, `driver_stats@2:conv_rate`).
    let row: String

    /// A ``LarderError/corruptStore(path:message:)`` for `column` of this row.
    func corrupt(_ column: String, _ problem: String) -> LarderError {
        .corruptStore(path: path, message: "table \(table), row \(row), column \(column): \(problem)")
    }

    /// `value`, which must be a valid identifier.
    func identifier(_ value: String, column: String) throws(LarderError) -> String {
        if let problem = Identifier.problem(with: value) { throw corrupt(column, problem) }
        return value
    }

    /// The JSON in `text` decoded as `type`; `expected` says what it should
    /// look like when it does not decode.
    func json<T: Decodable>(_ type: T.Type, _ text: String, column: String, expected: String) throws(LarderError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw corrupt(column, "expected \(expected), found \"\(Self.shorten(text))\"")
        }
    }

    /// The join keys stored as JSON in `text` (column `join_keys`): at least
    /// one, each a valid, distinct identifier of a known key type.
    func joinKeys(_ text: String) throws(LarderError) -> [JoinKey] {
        let stored = try json([Registry.StoredJoinKey].self, text, column: "join_keys",
                              expected: "a JSON list like [{\"name\": \"driver_id\", \"type\": \"int64\"}]")
        guard !stored.isEmpty else { throw corrupt("join_keys", "no join keys") }
        var keys: [JoinKey] = []
        for key in stored {
            let name = try identifier(key.name, column: "join_keys")
            guard let type = KeyType(rawValue: key.type) else {
                throw corrupt("join_keys", "unknown join key type \"\(Self.shorten(key.type))\" of key \"\(name)\" (allowed: int64, string)")
            }
            guard !keys.contains(where: { $0.name == name }) else { throw corrupt("join_keys", "duplicate join key \"\(name)\"") }
            keys.append(JoinKey(name: name, type: type))
        }
        return keys
    }

    /// `value` as one short line, for a message.
    static func shorten(_ value: String) -> String { ValidationProblem.shorten(value) }
}
