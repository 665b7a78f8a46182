import ArgumentParser
import Larder

/// `larder versions VIEW`: every stored version of a view.
struct VersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "versions", abstract: "List the versions of a feature view.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "The feature view.")
    var view: String

    @Option(help: "Output format: text or json.")
    var format: ListFormat = .text

    func run() throws {
        let registry = try options.open().registry
        _ = try registry.view(view)
        let versions = registry.views[view] ?? []
        switch format {
        case .json:
            print(JSONValue.array(versions.map { v in
                .object(["version": .int(v.version), "created_at": .string(Timestamp.format(v.createdAt)),
                         "ttl": .string(DurationText.format(v.ttl)), "entity": .string(v.definition.entity),
                         "features": .array(v.features.map { .string("\($0.name):\($0.type)") })])
            }).rendered)
        case .text:
            for v in versions {
                print("\(v.qualifiedName)  created \(Timestamp.format(v.createdAt))  ttl \(DurationText.format(v.ttl))  features: \(v.features.map { "\($0.name) \($0.type)" }.joined(separator: ", "))")
            }
        }
    }
}
