import ArgumentParser
import Larder

/// `larder stats VIEW[@N]`: a view's statistics over some of its runs,
/// merged from the sketches each run recorded.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show a feature view's statistics over its runs, merged from each run's sketches.",
        discussion: "Without --run or --from/--to, all committed runs of the version. Times are RFC 3339 commit times.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N (default: the latest version).")
    var view: String

    @Option(name: .customLong("run"), help: "Only this run (repeat for several).")
    var runIDs: [Int64] = []

    @Option(help: "Only runs committed at or after this time (RFC 3339).")
    var from: String?

    @Option(help: "Only runs committed before this time (RFC 3339).")
    var to: String?

    @Option(help: "Output format: table or json.")
    var format: StatsFormat = .table

    func validate() throws {
        if !runIDs.isEmpty, from != nil || to != nil { throw ValidationError("--run and --from/--to choose runs two ways: give one") }
    }

    func run() throws {
        let reference = try ViewReference(parsing: view)
        let selection: RunSelection = runIDs.isEmpty
            ? .committed(from: try from.map { try parseTime($0, assumeUTC: false, option: "--from") },
                         to: try to.map { try parseTime($0, assumeUTC: false, option: "--to") })
            : .runs(runIDs)
        let statistics = try options.open().statistics(view: reference.name, version: reference.version, runs: selection)
        print(format == .json ? statistics.json() : statistics.table())
    }
}

/// How `larder stats` and `larder drift` print.
enum StatsFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
