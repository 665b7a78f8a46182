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
        switch format {
        case .json:
            print(try registry.versionsJSON(of: view))
        case .text:
            for v in registry.views[view] ?? [] {
                print("\(v.qualifiedName)  created \(v.createdAt)  ttl \(DurationText.format(v.ttl))  features: \(v.features.map { "\($0.name) \($0.type)" }.joined(separator: ", "))")
            }
        }
    }
}
