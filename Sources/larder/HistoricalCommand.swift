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

    @Option(help: "The spine: CSV or JSON Lines with the join keys and event_timestamp.")
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
        let refs: [FeatureReference]
        let horizon: Int64
        var spinePath = spine
        var atTime = try at.map { try parseTime($0, assumeUTC: assumeUTC, option: "--at") }
        var expected: TrainingSetManifest?
        if let fromManifest {
            let m = try TrainingSetManifest.load(path: fromManifest)
            expected = m
            refs = try m.features.map { try FeatureReference(parsing: $0) }
            horizon = try parseTime(m.asOf, assumeUTC: false, option: "as_of")
            if spinePath == nil { spinePath = m.spine }
            atTime = try m.at.map { try parseTime($0, assumeUTC: false, option: "at") }
            if let path = spinePath, let sha = m.spineSHA256, try FileSystem.sha256(path: path) != sha {
                throw LarderError.usage("\(path) is not the spine the manifest was made with (its SHA-256 differs)")
            }
        } else {
            refs = try featureRefs(store: store, features: features, featureSet: featureSet)
            horizon = try asOf.map { try parseTime($0, assumeUTC: assumeUTC, option: "--as-of") } ?? Timestamp.now()
        }
        let useFullNames = expected?.fullNames ?? fullNames
        // Pin every reference to the version it resolves to now, so a manifest is exact.
        let resolved = try store.registry.resolve(refs)
        let pinned = resolved.map(\.reference)
        let frame: FeatureFrame
        if let path = spinePath {
            let spineFrame = try SpineReader.read(path: path, joinKeys: uniqueJoinKeys(resolved), options: spineOptions)
            frame = try store.historicalFeatures(spine: spineFrame, features: pinned, asOf: horizon, fullNames: useFullNames)
        } else if let atTime {
            frame = try store.historicalFeatures(at: atTime, features: pinned, asOf: horizon, fullNames: useFullNames)
        } else {
            throw LarderError.usage("the manifest has neither a spine nor an --at time")
        }
        let outputFormat = format ?? OutputFormat.guess(for: output)
        var writer = try outputFormat.makeWriter(path: output, names: frame.names, types: frame.columns.map(\.type))
        try writer.write(frame)
        try writer.finish()
        // The canonical hash is computed once, for the check and for the new manifest.
        let resultSHA256 = expected != nil || manifest != nil ? try TrainingSetManifest.canonicalSHA256(of: frame) : ""
        if let expected {
            let sha = resultSHA256
            guard sha == expected.resultSHA256, frame.rowCount == expected.rows else {
                throw LarderError.usage("the result differs from the manifest's (rows \(frame.rowCount) vs \(expected.rows), sha256 \(sha.prefix(16))… vs \(expected.resultSHA256.prefix(16))…): the store no longer holds the data it was made from")
            }
            writeStandardError("reproduced \(frame.rowCount) rows; result sha256 matches the manifest\n")
        }
        if let manifest {
            let m = TrainingSetManifest(
                createdAt: Timestamp.format(Timestamp.now()), features: pinned.map(\.description), fullNames: useFullNames,
                asOf: Timestamp.format(horizon), spine: spinePath, spineSHA256: try spinePath.map { try FileSystem.sha256(path: $0) },
                at: atTime.map(Timestamp.format), columns: frame.names, rows: frame.rowCount,
                resultSHA256: resultSHA256)
            try FileSystem.writeText(manifest, try m.json())
        }
    }
}

/// The join keys of the views of `features`, each name once, in order.
func uniqueJoinKeys(_ features: [ResolvedFeature]) -> [JoinKey] {
    var seen: Set<String> = []
    var keys: [JoinKey] = []
    for feature in features {
        for key in feature.view.joinKeys where seen.insert(key.name).inserted { keys.append(key) }
    }
    return keys
}

/// The references named by `--features` or `--feature-set`.
func featureRefs(store: FeatureStore, features: String?, featureSet: String?) throws -> [FeatureReference] {
    if let features { return try FeatureReference.parseList(features) }
    if let featureSet { return try store.registry.featureSet(featureSet).features }
    throw LarderError.usage("give --features REFS or --feature-set NAME")
}

/// Parses an RFC 3339 time given on the command line.
func parseTime(_ text: String, assumeUTC: Bool, option: String) throws -> Int64 {
    switch Timestamp.parse(text, assumeUTC: assumeUTC) {
    case .success(let t): return t
    case .failure(let error): throw LarderError.usage("\(option) \"\(text)\": \(error)")
    }
}

extension OutputFormat {
    /// The format an output path suggests: `.jsonl`/`.ndjson` → jsonl,
    /// `.arrow`/`.feather`/`.ipc` → arrow, anything else (and `-`) → csv.
    static func guess(for path: String) -> OutputFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
        if lower.hasSuffix(".arrow") || lower.hasSuffix(".feather") || lower.hasSuffix(".ipc") { return .arrow }
        return .csv
    }
}
