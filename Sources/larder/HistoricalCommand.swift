import ArgumentParser
import Larder

extension OutputFormat: ExpressibleByArgument {}

/// `larder historical`: a point-in-time-correct training set.
struct HistoricalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "historical",
        abstract: "Write point-in-time-correct features for a spine (training) or for every entity at one time (batch scoring).",
        discussion: """
            With --spine, one output row per spine row, in spine order: the spine's columns, then one column per feature,
            each the value of the latest row with event_timestamp <= the spine row's time (within the TTL), from runs
            committed at or before --as-of. With --at, one row per entity key, ascending.
            --manifest writes the resolved references, horizon, row count and result hash; --from-manifest reproduces
            the same result byte for byte.
            """)

    @OptionGroup var options: StoreOptions

    @Option(help: "The spine: CSV, JSON Lines or Arrow IPC (file or stream, told by its first bytes; - for stdin) with the join keys and event_timestamp.")
    var spine: String?

    @Option(help: "Entity-less retrieval: every entity's features at this time (RFC 3339).")
    var at: String?

    @Option(help: "Comma-separated feature references (view:feature, view@N:feature, view:*).")
    var features: String?

    @Option(help: "A feature set (its pinned versions are used).")
    var featureSet: String?

    @Option(help: "Only runs committed at or before this time are seen (RFC 3339; default now).")
    var asOf: String?

    @Flag(help: "Name feature columns view__feature.")
    var fullNames = false

    @Option(help: "csv, jsonl or arrow (default: from the output extension, else csv).")
    var format: OutputFormat?

    @Option(help: "The output file, or - for stdout.")
    var output: String

    @Option(help: "Also write a manifest (JSON) that pins everything needed to reproduce the result.")
    var manifest: String?

    @Option(help: "Reproduce the retrieval a manifest describes (its spine, features and horizon).")
    var fromManifest: String?

    @Flag(help: "Spine timestamps without an offset are UTC.")
    var assumeUTC = false

    @Option(help: "Spine timestamps are integer epochs in this unit: s, ms or us.")
    var timeUnit: IngestOptions.TimeUnit?

    @Option(help: "Types of CSV spine columns (or Arrow string columns), COLUMN=TYPE,… (int64, float64, bool, timestamp, string); the others are inferred.")
    var spineTypes: String?

    @Option(help: "Cache budget in MB (default: a quarter of RAM; 0 answers from SQLite).")
    var cacheMb: Int?

    func validate() throws {
        if fromManifest != nil {
            if at != nil || features != nil || featureSet != nil || asOf != nil {
                throw ValidationError("--from-manifest takes its features, horizon and --at from the manifest")
            }
            return
        }
        if (spine == nil) == (at == nil) { throw ValidationError("give exactly one of --spine FILE and --at TIME") }
        if (features == nil) == (featureSet == nil) { throw ValidationError("give exactly one of --features REFS and --feature-set NAME") }
    }

    func run() throws {
        let store = try options.open(cacheMegabytes: cacheMb)
        var spineOptions = IngestOptions()
        spineOptions.assumeUTC = assumeUTC
        spineOptions.timeUnit = timeUnit
        spineOptions.spineTypes = try spineTypes.map(parseSpineTypes) ?? [:]
        let request: TrainingSetRequest
        if let fromManifest {
            request = try TrainingSetRequest(reproducing: fromManifest, spine: spine.map(Source.init(argument:)), spineOptions: spineOptions)
        } else {
            let rows: TrainingSetRequest.Rows = if let spine { .spine(Source(argument: spine)) } else { .at(try parseTime(at!, assumeUTC: assumeUTC, option: "--at")) }
            request = TrainingSetRequest(
                rows: rows, features: try store.featureReferences(features, featureSet: featureSet),
                asOf: try asOf.map { try parseTime($0, assumeUTC: assumeUTC, option: "--as-of") }, fullNames: fullNames,
                spineOptions: spineOptions)
        }
        let summary = try store.writeTrainingSet(request, format: format ?? OutputFormat(guessingFrom: output),
                                                 to: Destination(argument: output), manifest: manifest.map(Destination.init(argument:)))
        if summary.reproduced {
            writeStandardError("reproduced \(summary.rows) rows; result sha256 matches the manifest\n")
        }
    }
}

/// Parses `--spine-types COLUMN=TYPE,…`.
func parseSpineTypes(_ text: String) throws -> [String: FeatureType] {
    var types: [String: FeatureType] = [:]
    for item in text.split(separator: ",") {
        let parts = item.split(separator: "=", maxSplits: 1).map { String($0) }
        guard parts.count == 2, !parts[0].isEmpty, let type = FeatureType(parsing: parts[1]) else {
            throw ValidationError("--spine-types: \"\(item)\" is not COLUMN=TYPE (int64, float64, bool, timestamp or string)")
        }
        types[parts[0]] = type
    }
    return types
}

/// Parses an RFC 3339 time given as `option` on the command line.
func parseTime(_ text: String, assumeUTC: Bool, option: String) throws -> Timestamp {
    do {
        return try Timestamp(parsing: text, assumeUTC: assumeUTC)
    } catch {
        throw LarderError(error.category, "\(option) \(error.message)")
    }
}
