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
        let (name, version) = try parseVersioned(view)
        let v = try options.open().registry.view(name, version: version)
        switch format {
        case .json:
            print(viewJSON(v).rendered)
        case .text:
            print("feature view \(v.qualifiedName)")
            print("  entity:      \(v.definition.entity) (join keys: \(v.joinKeys.map { "\($0.name) \($0.type)" }.joined(separator: ", ")))")
            print("  ttl:         \(DurationText.format(v.ttl))")
            print("  created:     \(Timestamp.format(v.createdAt))")
            if !v.definition.description.isEmpty { print("  description: \(v.definition.description)") }
            if !v.definition.owner.isEmpty { print("  owner:       \(v.definition.owner)") }
            if !v.definition.tags.isEmpty { print("  tags:        \(v.definition.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))") }
            print("  features:")
            for f in v.features {
                var line = "    \(f.name): \(f.type)"
                let expect = expectationText(f.expectations)
                if !expect.isEmpty { line += "  expect \(expect)" }
                if !f.description.isEmpty { line += "  — \(f.description)" }
                print(line)
            }
        }
    }
}

/// Splits `VIEW@N` into its name and version (nil when absent).
func parseVersioned(_ text: String) throws -> (String, Int?) {
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count <= 2, !parts[0].isEmpty else { throw LarderError.invalidInput("expected VIEW or VIEW@N, got \"\(text)\"") }
    guard parts.count == 2 else { return (text, nil) }
    guard let n = Int(parts[1]), n >= 1 else { throw LarderError.invalidInput("\"\(parts[1])\" is not a version number in \"\(text)\"") }
    return (String(parts[0]), n)
}

/// Expectations as `{not_null: true, min: 0, …}`, empty when there are none.
func expectationText(_ e: Expectations) -> String {
    var parts: [String] = []
    if e.notNull { parts.append("not_null: true") }
    if let min = e.min { parts.append("min: \(min)") }
    if let max = e.max { parts.append("max: \(max)") }
    if let allowed = e.allowed { parts.append("allowed: [\(allowed.joined(separator: ", "))]") }
    if e.allowNaN { parts.append("allow_nan: true") }
    return parts.isEmpty ? "" : "{\(parts.joined(separator: ", "))}"
}

/// A view version as a JSON object.
func viewJSON(_ v: FeatureView) -> JSONValue {
    .object([
        "name": .string(v.name), "version": .int(v.version), "entity": .string(v.definition.entity),
        "join_keys": .array(v.joinKeys.map { .object(["name": .string($0.name), "type": .string($0.type.description)]) }),
        "ttl": .string(DurationText.format(v.ttl)), "created_at": .string(Timestamp.format(v.createdAt)),
        "description": .string(v.definition.description),
        "features": .array(v.features.map { .object(["name": .string($0.name), "type": .string($0.type.description), "expect": .string(expectationText($0.expectations))]) }),
    ])
}
