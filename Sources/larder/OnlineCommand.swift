import ArgumentParser
import Larder

/// `larder online`: the latest features of some entities, as a server would serve them.
struct OnlineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "online",
        abstract: "Read the latest features of entities (T = as-of = now), with a status per feature.",
        discussion: "Statuses: PRESENT, NULL_VALUE (the winning row holds null), NOT_FOUND (no row for the key), OUTSIDE_MAX_AGE (rows exist, none within the TTL).")

    @OptionGroup var options: StoreOptions

    @Option(help: "Comma-separated feature references (view:feature, view@N:feature, view:*).")
    var features: String?

    @Option(help: "A feature set (its pinned versions are used).")
    var featureSet: String?

    @Option(name: .customLong("entity"), help: "An entity as KEY=VALUE[,KEY=VALUE] (repeat for several).")
    var entities: [String] = []

    @Flag(help: "Name features view__feature.")
    var fullNames = false

    @Option(help: "json, csv or table.")
    var format: OnlineFormat = .table

    @Option(help: "Cache budget in MB (default: a quarter of RAM; 0 answers from SQLite).")
    var cacheMb: Int?

    enum OnlineFormat: String, ExpressibleByArgument, CaseIterable { case json, csv, table }

    func validate() throws {
        if (features == nil) == (featureSet == nil) { throw ValidationError("give exactly one of --features REFS and --feature-set NAME") }
        if entities.isEmpty { throw ValidationError("give at least one --entity KEY=VALUE") }
    }

    func run() throws {
        let store = try options.open(cacheMegabytes: cacheMb)
        let refs = try store.featureReferences(features, featureSet: featureSet)
        let entityFrame = try EntityRows.parse(entities, joinKeys: try store.registry.resolve(refs).uniqueJoinKeys)
        let result = try store.onlineFeatures(entities: entityFrame, features: refs, fullNames: fullNames)
        switch format {
        case .json:
            print(result.json(entities: entityFrame))
        case .csv:
            var writer = try OutputFormat.csv.makeWriter(to: .standardOutput, names: entityFrame.names + result.featureNames,
                                                         types: entityFrame.columns.map(\.type) + result.values.map(\.type))
            try writer.write(FeatureFrame(names: entityFrame.names + result.featureNames, columns: entityFrame.columns + result.values))
            try writer.finish()
        case .table:
            let header = entityFrame.names + result.featureNames
            var rows: [[String]] = []
            for e in 0..<result.entityCount {
                var row = entityFrame.columns.map { $0.value(e).description }
                for f in result.values.indices {
                    let status = result.statuses[f][e]
                    row.append(status == .present ? result.values[f].value(e).text : status.rawValue)
                }
                rows.append(row)
            }
            print(alignedTable(header: header, rows: rows))
        }
    }
}

/// A text table with a header, columns padded to their widest cell.
func alignedTable(header: [String], rows: [[String]]) -> String {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, cell in i == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count) }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}
