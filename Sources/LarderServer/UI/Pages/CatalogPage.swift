import Foundation
import Larder

/// `/ui/`: the entities, the feature views with their versions and what
/// changed between them, the feature sets and what they pin; `q` filters
/// all three by name and description.
enum CatalogPage {
    static func render(_ store: FeatureStore, query: UIQuery) throws -> String {
        let registry = try store.registry
        let search = query.string("q")
        func matches(_ texts: [String]) -> Bool {
            guard let search else { return true }
            return texts.contains { $0.localizedCaseInsensitiveContains(search) }
        }
        let entities = registry.entities.values.sorted { $0.name < $1.name }
            .filter { matches([$0.name, $0.description] + $0.joinKeys.map(\.name)) }
        let views = registry.views.keys.sorted().compactMap { registry.views[$0] }
            .filter { versions in matches(versions.flatMap { [$0.name, $0.definition.description] + $0.features.flatMap { [$0.name, $0.description] } }) }
        let sets = registry.featureSets.keys.sorted().compactMap { registry.featureSets[$0]?.last }
            .filter { matches([$0.name, $0.description] + $0.features.map(\.description)) }

        var content: [HTML] = [.element("h1", text: "Catalog")]
        if let search {
            content.append(.element("p", ["class": "lead", "role": "status"],
                                    text: "\(entities.count + views.count + sets.count) matches for “\(search)”"))
            content.append(.element("p", [:], [Page.link(UIPath.root, "Show everything")]))
        } else {
            content.append(.element("p", ["class": "lead"], text: "\(registry.entities.count) entities, \(registry.views.count) feature views, \(registry.featureSets.count) feature sets in \(store.path)"))
        }

        content.append(.element("h2", ["id": "entities"], text: "Entities"))
        content.append(Page.table(["entity", "join keys", "description", "views"], entities.map { entity in
            let using = registry.views.values.compactMap(\.last).filter { $0.definition.entity == entity.name }.map(\.name).sorted()
            return [.text(entity.name), .element("code", text: entity.joinKeys.map { "\($0.name): \($0.type)" }.joined(separator: ", ")),
                    .text(entity.description), .join(using.enumerated().map { (i, name) in
                        .join([i > 0 ? .text(", ") : .empty, Page.link(UIPath.view(name, version: registry.views[name]?.last?.version ?? 1), name)])
                    })]
        }))

        content.append(.element("h2", ["id": "views"], text: "Feature views"))
        for versions in views {
            guard let latest = versions.last else { continue }
            content.append(.element("section", ["class": "view-card", "aria-labelledby": "view-\(latest.name)"], [
                .element("h3", ["id": "view-\(latest.name)"], [Page.link(UIPath.view(latest.name, version: latest.version), latest.name),
                                                               .text(" "), .element("span", ["class": "badge"], text: "v\(latest.version)")]),
                latest.definition.description.isEmpty ? .empty : .element("p", [:], text: latest.definition.description),
                .element("p", ["class": "muted"], text: "entity \(latest.definition.entity) · \(latest.features.count) features · ttl \(DurationText.format(latest.ttl))"),
                Page.table(["version", "created", "features", "changes from the version before"], versions.reversed().map { version in
                    let previous = versions.last { $0.version < version.version }
                    return [Page.link(UIPath.view(version.name, version: version.version), "v\(version.version)"),
                            .text(Formatting.time(version.createdAt)), .text(String(version.features.count)),
                            .text(previous.map { VersionChanges.between($0, version).summary } ?? "first version")]
                }, caption: "Versions of \(latest.name)"),
            ]))
        }
        if views.isEmpty { content.append(.element("p", ["class": "muted"], text: "No feature view matches.")) }

        content.append(.element("h2", ["id": "feature-sets"], text: "Feature sets"))
        content.append(Page.table(["feature set", "version", "description", "pins"], sets.map { set in
            [.element("span", ["id": "set-\(set.name)"], text: set.name), .text("v\(set.version)"), .text(set.description),
             .element("ul", [:], set.features.map { reference in
                 let version = reference.version ?? registry.views[reference.view]?.last?.version ?? 1
                 let target = reference.feature.map { UIPath.feature(reference.view, version: version, feature: $0) } ?? UIPath.view(reference.view, version: version)
                 let pinned = reference.version == nil ? " (latest: v\(version))" : ""
                 return .element("li", [:], [Page.link(target, reference.description), .text(pinned)])
             })]
        }))
        return Page.render(title: search.map { "Search: \($0)" } ?? "Catalog", content: content)
    }
}

/// What changed from one version of a view to the next: features added,
/// removed, or changed (type, expectations, description), and the ttl.
struct VersionChanges {
    var added: [String] = [], removed: [String] = [], changed: [String] = []
    var other: [String] = []

    static func between(_ old: FeatureView, _ new: FeatureView) -> VersionChanges {
        var changes = VersionChanges()
        let before = Dictionary(old.features.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Set(new.features.map(\.name))
        for feature in new.features {
            guard let was = before[feature.name] else { changes.added.append(feature.name); continue }
            if was.type != feature.type { changes.changed.append("\(feature.name) type \(was.type) → \(feature.type)") }
            if was.expectations != feature.expectations {
                changes.changed.append("\(feature.name) expectations \(Expectation.text(was.expectations)) → \(Expectation.text(feature.expectations))")
            }
            if was.description != feature.description { changes.changed.append("\(feature.name) description") }
        }
        changes.removed = old.features.map(\.name).filter { !after.contains($0) }
        if old.ttl != new.ttl { changes.other.append("ttl \(DurationText.format(old.ttl)) → \(DurationText.format(new.ttl))") }
        if old.definition.entity != new.definition.entity { changes.other.append("entity \(old.definition.entity) → \(new.definition.entity)") }
        return changes
    }

    /// `+a, −b, ~c type int64 → float64`, or `no feature changed`.
    var summary: String {
        let parts = added.map { "+\($0)" } + removed.map { "−\($0)" } + changed.map { "~\($0)" } + other
        return parts.isEmpty ? "no feature changed" : parts.joined(separator: ", ")
    }
}

/// Expectations as text: `not null, ≥ 0, ≤ 1, one of a | b, NaN allowed`.
enum Expectation {
    static func text(_ e: Expectations) -> String {
        var parts: [String] = []
        if e.notNull { parts.append("not null") }
        if let min = e.min { parts.append("≥ \(Formatting.number(min))") }
        if let max = e.max { parts.append("≤ \(Formatting.number(max))") }
        if let allowed = e.allowed { parts.append("one of " + allowed.joined(separator: " | ")) }
        if e.allowNaN { parts.append("NaN allowed") }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
