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
        let refs = try featureRefs(store: store, features: features, featureSet: featureSet)
        let joinKeys = try store.registry.resolve(refs).uniqueJoinKeys
        var keyColumns = joinKeys.map { Column(type: $0.type.featureType) }
        for entity in entities {
            var given: [String: String] = [:]
            for pair in entity.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw LarderError.invalidInput("--entity \"\(entity)\": expected KEY=VALUE") }
                given[String(parts[0])] = String(parts[1])
            }
            for (k, key) in joinKeys.enumerated() {
                guard let text = given.removeValue(forKey: key.name) else {
                    throw LarderError.invalidInput("--entity \"\(entity)\" lacks join key \(key.name)")
                }
                if key.type == .int64 {
                    guard let value = Int64(text) else { throw LarderError.invalidInput("--entity \"\(entity)\": \(key.name) \"\(text)\" is not an int64") }
                    keyColumns[k].append(value)
                } else {
                    keyColumns[k].append(text)
                }
            }
            if let extra = given.keys.sorted().first { throw LarderError.invalidInput("--entity \"\(entity)\": \(extra) is not a join key of these features") }
        }
        let result = try store.onlineFeatures(entities: FeatureFrame(names: joinKeys.map(\.name), columns: keyColumns),
                                              features: refs, fullNames: fullNames)
        switch format {
        case .json:
            print(JSONValue.object([
                "metadata": .object(["feature_names": .array(result.featureNames.map { .string($0) })]),
                "results": .array(result.values.indices.map { f in
                    .object(["values": .array((0..<result.entityCount).map { jsonValue(result.values[f], $0) }),
                             "statuses": .array(result.statuses[f].map { .string($0.rawValue) })])
                }),
            ]).rendered)
        case .csv:
            var writer = try OutputFormat.csv.makeWriter(to: .standardOutput, names: joinKeys.map(\.name) + result.featureNames,
                                                         types: keyColumns.map(\.type) + result.values.map(\.type))
            try writer.write(FeatureFrame(names: joinKeys.map(\.name) + result.featureNames, columns: keyColumns + result.values))
            try writer.finish()
        case .table:
            let header = joinKeys.map(\.name) + result.featureNames
            var rows: [[String]] = []
            for e in 0..<result.entityCount {
                var row = keyColumns.map { $0.value(e).description }
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

/// Row `row` of `column` as a JSON value.
func jsonValue(_ column: Column, _ row: Int) -> JSONValue {
    switch column.value(row) {
    case .null: .null
    case .int64(let v): .int(Int(v))
    case .float64(let v): v.isFinite ? .double(v) : .string(v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))
    case .bool(let v): .bool(v)
    case .string(let v): .string(v)
    case .timestamp(let v): .string(Timestamp.format(v))
    case .bytes: .string(column.value(row).text)
    case .vector(let v): .array(v.map { .double(Double($0)) })
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
