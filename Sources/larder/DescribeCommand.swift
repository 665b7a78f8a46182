import ArgumentParser
import Larder

/// `larder describe VIEW[@N]`: one view version in full.
struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "describe", abstract: "Show a feature view version: entity, TTL, features, expectations.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N.")
    var view: String

    @Option(help: "Output format: text or json.")
    var format: ListFormat = .text

    func run() throws {
        let reference = try ViewReference(parsing: view)
        let v = try options.open().registry.view(reference.name, version: reference.version)
        switch format {
        case .json:
            print(v.json())
        case .text:
            print("feature view \(v.qualifiedName)")
            print("  entity:      \(v.definition.entity) (join keys: \(v.joinKeys.map { "\($0.name) \($0.type)" }.joined(separator: ", ")))")
            print("  ttl:         \(DurationText.format(v.ttl))")
            print("  created:     \(v.createdAt)")
            if !v.definition.description.isEmpty { print("  description: \(v.definition.description)") }
            if !v.definition.owner.isEmpty { print("  owner:       \(v.definition.owner)") }
            if !v.definition.tags.isEmpty { print("  tags:        \(v.definition.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))") }
            print("  features:")
            for f in v.features {
                var line = "    \(f.name): \(f.type)"
                let expect = f.expectations.description
                if !expect.isEmpty { line += "  expect \(expect)" }
                if !f.description.isEmpty { line += "  — \(f.description)" }
                print(line)
            }
        }
    }
}
