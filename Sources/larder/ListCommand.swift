import ArgumentParser
import Larder

/// `larder list`: every entity, view (latest version) and feature set.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List entities, feature views and feature sets.")

    @OptionGroup var options: StoreOptions

    @Option(help: "Output format: text or json.")
    var format: ListFormat = .text

    func run() throws {
        let registry = try options.open().registry
        let entities = registry.entities.values.sorted { $0.name < $1.name }
        let views = registry.views.values.compactMap(\.last).sorted { $0.name < $1.name }
        let sets = registry.featureSets.values.compactMap(\.last).sorted { $0.name < $1.name }
        switch format {
        case .json:
            print(registry.catalogJSON())
        case .text:
            if entities.isEmpty && views.isEmpty && sets.isEmpty {
                print("the store is empty (apply a definitions file with `larder apply FILE.yaml`)")
                return
            }
            if !entities.isEmpty {
                print("entities:")
                for e in entities { print("  \(e.name) (\(e.joinKeys.map { "\($0.name): \($0.type)" }.joined(separator: ", ")))") }
            }
            if !views.isEmpty {
                print("feature views:")
                for v in views {
                    print("  \(v.name)@\(v.version)  entity \(v.definition.entity), ttl \(DurationText.format(v.ttl)), \(v.features.count) feature\(v.features.count == 1 ? "" : "s")")
                }
            }
            if !sets.isEmpty {
                print("feature sets:")
                for s in sets { print("  \(s.name)@\(s.version)  \(s.features.map(\.description).joined(separator: ", "))") }
            }
        }
    }
}
