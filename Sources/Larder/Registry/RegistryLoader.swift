/// Builds a ``RegistrySnapshot`` from the rows of the registry tables, as
/// every storage engine reads them: the engine runs its own queries (in one
/// read transaction) and hands each row over, columns in the order given
/// below; the checks and the error messages are the same on every engine.
package struct RegistryLoader {
    /// The store, for messages.
    private let path: String
    /// The snapshot so far.
    private var snapshot = RegistrySnapshot()
    /// The features read so far, by view version id, in position order.
    private var featuresByVersion: [Int64: [FeatureDefinition]] = [:]

    /// A loader for the store at `path` (a file or a URL), whose engine
    /// allows `columnLimit` columns in a table.
    package init(path: String, columnLimit: Int) {
        self.path = path
        snapshot.columnLimit = columnLimit
    }

    /// A row of `entities`: name, join_keys, description.
    package mutating func entity(_ c: some RowCursor) throws {
        let row = RegistryRow(path: path, table: "entities", row: RegistryRow.shorten(text(c, 0)))
        let name = try row.identifier(text(c, 0), column: "name")
        snapshot.entities[name] = Entity(name: name, joinKeys: try row.joinKeys(text(c, 1)), description: text(c, 2))
    }

    /// A row of `features` left-joined to its view version, by view version
    /// id then position: view_version_id, name, type, expectations,
    /// description, the version's view (null when none), its version.
    package mutating func feature(_ c: some RowCursor) throws {
        let owner = c.isNull(5) ? "view_version_id \(c.int64(0))" : "\(RegistryRow.shorten(text(c, 5)))@\(c.int64(6))"
        let row = RegistryRow(path: path, table: "features", row: "\(owner):\(RegistryRow.shorten(text(c, 1)))")
        guard !c.isNull(5) else { throw row.corrupt("view_version_id", "no view version has id \(c.int64(0))") }
        let typeText = text(c, 2)
        guard let type = FeatureType(parsing: typeText) else {
            throw row.corrupt("type", "unknown feature type \"\(RegistryRow.shorten(typeText))\"")
        }
        let expectations = try row.json(Registry.StoredExpectations.self, text(c, 3), column: "expectations",
                                        expected: "a JSON object like {\"min\": 0, \"not_null\": true}")
        let feature = FeatureDefinition(name: try row.identifier(text(c, 1), column: "name"), type: type,
                                        expectations: expectations.expectations, description: text(c, 4))
        featuresByVersion[c.int64(0), default: []].append(feature)
    }

    /// A row of `view_versions`, by view then version (after every feature):
    /// id, view, version, entity, join_keys, ttl_us, description, owner,
    /// tags, created_at.
    package mutating func viewVersion(_ c: some RowCursor) throws {
        let id = c.int64(0), version = c.int64(2)
        let row = RegistryRow(path: path, table: "view_versions", row: "\(RegistryRow.shorten(text(c, 1)))@\(version)")
        let name = try row.identifier(text(c, 1), column: "view")
        guard version >= 1 else { throw row.corrupt("version", "version \(version) is not a positive number") }
        let entity = try row.identifier(text(c, 3), column: "entity")
        guard snapshot.entities[entity] != nil else { throw row.corrupt("entity", "no entity named \"\(entity)\"") }
        let keys = try row.joinKeys(text(c, 4))
        let ttl = c.int64(5)
        guard ttl >= 0 else { throw row.corrupt("ttl_us", "negative TTL \(ttl)") }
        let tags = try row.json([String: String].self, text(c, 8), column: "tags", expected: "a JSON object of strings")
        guard let viewFeatures = featuresByVersion[id] else { throw row.corrupt("id", "table features has no rows for view_version_id \(id)") }
        let definition = FeatureViewDefinition(
            name: name, entity: entity, ttl: ttl, features: viewFeatures,
            description: text(c, 6), owner: text(c, 7), tags: tags)
        let view = FeatureView(id: id, version: Int(version), definition: definition, joinKeys: keys, createdAt: Timestamp(microseconds: c.int64(9)))
        snapshot.views[view.name, default: []].append(view)
    }

    /// A row of `view_version_numbers`: view, last_version.
    package mutating func issuedVersion(_ c: some RowCursor) {
        snapshot.lastIssuedVersions[text(c, 0)] = Int(c.int64(1))
    }

    /// A row of `feature_sets`, by name then version: name, version, refs,
    /// description, created_at.
    package mutating func featureSet(_ c: some RowCursor) throws {
        let version = c.int64(1)
        let row = RegistryRow(path: path, table: "feature_sets", row: "\(RegistryRow.shorten(text(c, 0)))@\(version)")
        let name = try row.identifier(text(c, 0), column: "name")
        guard version >= 1 else { throw row.corrupt("version", "version \(version) is not a positive number") }
        let texts = try row.json([String].self, text(c, 2), column: "refs", expected: "a JSON list of references like [\"view@1:feature\"]")
        var refs: [FeatureReference] = []
        for text in texts {
            let ref: FeatureReference
            do { ref = try FeatureReference(parsing: text) } catch { throw row.corrupt("refs", "\(error)") }
            guard ref.version != nil, ref.feature != nil else {
                throw row.corrupt("refs", "reference \"\(RegistryRow.shorten(text))\" does not pin one feature of one view version (view@N:feature)")
            }
            refs.append(ref)
        }
        let set = FeatureSet(name: name, version: Int(version), features: refs, description: text(c, 3), createdAt: Timestamp(microseconds: c.int64(4)))
        snapshot.featureSets[set.name, default: []].append(set)
    }

    /// The snapshot, once every row is in.
    package func finish() throws -> RegistrySnapshot {
        // Only a set's latest version must resolve: `drop` may remove a view
        // version that an older version of a set pinned.
        for set in snapshot.featureSets.values.compactMap(\.last) {
            let row = RegistryRow(path: path, table: "feature_sets", row: "\(set.name)@\(set.version)")
            do { _ = try snapshot.resolve(set.features) } catch { throw row.corrupt("refs", "\(error)") }
        }
        return snapshot
    }

    /// Column `index` of `c` as text.
    private func text(_ c: some RowCursor, _ index: Int32) -> String {
        c.withBytes(index) { String(decoding: $0, as: UTF8.self) }
    }
}
