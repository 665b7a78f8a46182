/// An immutable copy of the registry: every entity, every view version and
/// every feature set version, as loaded from the store.
public struct RegistrySnapshot: Sendable {
    /// Entities by name.
    public var entities: [String: Entity] = [:]
    /// Every version of every view, by view name, oldest first.
    public var views: [String: [FeatureView]] = [:]
    /// Every version of every feature set, by name, oldest first.
    public var featureSets: [String: [FeatureSet]] = [:]
    /// The highest version ever issued per view name, dropped versions
    /// included (table `view_version_numbers`).
    var lastIssuedVersions: [String: Int] = [:]
    /// The most columns a table may have on the connection that loaded this
    /// snapshot (`SQLITE_LIMIT_COLUMN`, 2000 in a default SQLite build): a view
    /// whose table would need more is refused when it is applied.
    var columnLimit = 2000

    /// The latest version of the view named `name`.
    public func latest(_ name: String) -> FeatureView? { views[name]?.last }

    /// The number the next version of the view named `name` gets: one more
    /// than any version ever issued, so that the number of a dropped version
    /// (whose runs stay listed under it) is never reused.
    func nextVersion(of name: String) -> Int {
        max(latest(name)?.version ?? 0, lastIssuedVersions[name] ?? 0) + 1
    }

    /// The view named `name` at `version` (latest when nil), or a `notFound` error.
    public func view(_ name: String, version: Int? = nil) throws(LarderError) -> FeatureView {
        guard let all = views[name], let last = all.last else {
            throw .notFound("no feature view named \"\(name)\"" + suggestion(name, among: Array(views.keys)))
        }
        guard let version else { return last }
        guard let found = all.first(where: { $0.version == version }) else {
            throw .notFound("feature view \"\(name)\" has no version \(version) (versions: \(all.map { String($0.version) }.joined(separator: ", ")))")
        }
        return found
    }

    /// The latest version of the feature set named `name`.
    public func featureSet(_ name: String) throws(LarderError) -> FeatureSet {
        guard let set = featureSets[name]?.last else {
            throw .notFound("no feature set named \"\(name)\"" + suggestion(name, among: Array(featureSets.keys)))
        }
        return set
    }

    /// Resolves references to (view version, feature) pairs, expanding `view:*`
    /// and pinning unpinned references to the latest version.
    public func resolve(_ refs: [FeatureReference]) throws(LarderError) -> [ResolvedFeature] {
        var out: [ResolvedFeature] = []
        for ref in refs {
            let view = try view(ref.view, version: ref.version)
            if let name = ref.feature {
                guard let index = view.featureIndex(name) else {
                    throw .notFound("feature view \(view.qualifiedName) has no feature \"\(name)\""
                        + suggestion(name, among: view.features.map(\.name)))
                }
                out.append(ResolvedFeature(view: view, index: index))
            } else {
                out += view.features.indices.map { ResolvedFeature(view: view, index: $0) }
            }
        }
        return out
    }

    func suggestion(_ name: String, among names: [String]) -> String {
        guard !names.isEmpty else { return "" }
        return " (known: \(names.sorted().prefix(10).joined(separator: ", ")))"
    }
}

/// One feature of one pinned view version.
public struct ResolvedFeature: Hashable, Sendable {
    /// The view version.
    public let view: FeatureView
    /// The feature's position in the view.
    public let index: Int
    /// The feature's definition.
    public var feature: FeatureDefinition { view.features[index] }
    /// `view@N:feature`.
    public var reference: FeatureReference { FeatureReference(view: view.name, version: view.version, feature: feature.name) }
}
