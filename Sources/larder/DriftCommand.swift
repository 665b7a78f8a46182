import ArgumentParser
import Larder

/// `larder drift VIEW[@N] (--baseline RUNS | --baseline-manifest FILE) --current RUNS`: per feature, how
/// far the current runs moved from the baseline; exit 3 when any drifted.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare a feature view's current runs with a baseline; exit 3 when any feature drifts.",
        discussion: """
            With --baseline-manifest, the baseline is what a model was trained on: the runs of the view version the manifest pinned, committed by its as_of.
            RUNS is a run id, FROM..TO (RFC 3339 commit times, either side may be empty) or last:DURATION (last:7d).
            Exit status: 0 no feature drifted, 3 some feature drifted, 1 usage or input error, 2 store error.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N (default: the latest version).")
    var view: String

    @Option(help: "The runs to compare against: ID, FROM..TO or last:DURATION.")
    var baseline: String?

    @Option(help: "Compare against what a model was trained on: the runs the training-set manifest FILE pinned (its view version, committed by its as_of).")
    var baselineManifest: String?

    @Option(help: "The runs to check: ID, FROM..TO or last:DURATION.")
    var current: String

    @Option(help: "Population stability index at or above which a number drifts.")
    var psi: Double = DriftThresholds().psi

    @Option(help: "Kolmogorov–Smirnov distance at or above which a number drifts.")
    var ks: Double = DriftThresholds().ks

    @Option(help: "Jensen–Shannon distance at or above which a string or bool drifts.")
    var js: Double = DriftThresholds().js

    @Option(help: "Rise in null rate, in percentage points, at or above which a feature drifts.")
    var nullRatePoints: Double = DriftThresholds().nullRateIncrease * 100

    @Option(name: .customLong("threshold"),
            help: ArgumentHelp("A threshold for every feature (RULE=VALUE) or one feature (FEATURE:RULE=VALUE); repeat for several.",
                               discussion: "RULE is psi, ks, js, null_rate_points or reject_rate_points. A feature's own threshold wins over its definitions', which win over the ones for every feature."))
    var thresholdArguments: [ThresholdArgument] = []

    @Option(help: "Output format: table or json.")
    var format: StatsFormat = .table

    func validate() throws {
        if (baseline == nil) == (baselineManifest == nil) { throw ValidationError("give one of --baseline RUNS and --baseline-manifest FILE") }
    }

    func run() throws {
        var reference = try ViewReference(parsing: view)
        let baselineRuns: RunSelection
        if let baselineManifest {
            let pinned = try TrainingSetManifest.load(path: baselineManifest)
                .baseline(of: reference.name, version: reference.version, path: baselineManifest)
            reference.version = pinned.version
            baselineRuns = pinned.runs
        } else {
            baselineRuns = try RunSelection(parsing: baseline ?? "")
        }
        var thresholds = DriftThresholds()
        thresholds.psi = psi
        thresholds.ks = ks
        thresholds.js = js
        thresholds.nullRateIncrease = nullRatePoints / 100
        var overrides: [String: DriftOverrides] = [:]
        for argument in thresholdArguments {
            if let feature = argument.feature {
                overrides[feature, default: DriftOverrides()] = overrides[feature, default: DriftOverrides()].overridden(by: argument.overrides)
            } else {
                thresholds = thresholds.applying(argument.overrides)
            }
        }
        let report = try options.open().drift(view: reference.name, version: reference.version,
                                              baseline: baselineRuns, current: try RunSelection(parsing: current),
                                              thresholds: thresholds, overrides: overrides)
        print(format == .json ? report.json() : report.table())
        if !report.drifted.isEmpty { throw ExitCode(3) }
    }
}

/// One `--threshold [FEATURE:]RULE=VALUE` of `larder drift`.
struct ThresholdArgument: ExpressibleByArgument {
    /// The feature it is for; nil for every feature.
    let feature: String?
    /// The threshold it sets.
    let overrides: DriftOverrides

    init?(argument: String) {
        let (scope, assignment) = argument.split(separator: ":", maxSplits: 1).count == 2
            ? (String(argument.prefix { $0 != ":" }), String(argument.drop { $0 != ":" }.dropFirst()))
            : (nil, argument)
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let value = Double(parts[1]), value.isFinite, value >= 0, scope.map({ !$0.isEmpty }) ?? true else { return nil }
        switch parts[0] {
        case "psi": overrides = DriftOverrides(psi: value)
        case "ks": overrides = DriftOverrides(ks: value)
        case "js": overrides = DriftOverrides(js: value)
        case "null_rate_points": overrides = DriftOverrides(nullRateIncrease: value / 100)
        case "reject_rate_points": overrides = DriftOverrides(rejectRateIncrease: value / 100)
        default: return nil
        }
        feature = scope
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
