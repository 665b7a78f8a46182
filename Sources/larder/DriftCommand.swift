import ArgumentParser
import Larder

/// `larder drift VIEW[@N] --baseline RUNS --current RUNS`: per feature, how
/// far the current runs moved from the baseline; exit 3 when any drifted.
struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare a feature view's current runs with a baseline; exit 3 when any feature drifts.",
        discussion: """
            RUNS is a run id, FROM..TO (RFC 3339 commit times, either side may be empty) or last:DURATION (last:7d).
            Exit status: 0 no feature drifted, 3 some feature drifted, 1 usage or input error, 2 store error.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N (default: the latest version).")
    var view: String

    @Option(help: "The runs to compare against: ID, FROM..TO or last:DURATION.")
    var baseline: String

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

    @Option(help: "Output format: table or json.")
    var format: StatsFormat = .table

    func run() throws {
        let reference = try ViewReference(parsing: view)
        var thresholds = DriftThresholds()
        thresholds.psi = psi
        thresholds.ks = ks
        thresholds.js = js
        thresholds.nullRateIncrease = nullRatePoints / 100
        let report = try options.open().drift(view: reference.name, version: reference.version,
                                              baseline: try RunSelection(parsing: baseline), current: try RunSelection(parsing: current),
                                              thresholds: thresholds)
        print(format == .json ? report.json() : report.table())
        if !report.drifted.isEmpty { throw ExitCode(3) }
    }
}
