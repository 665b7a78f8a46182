import ArgumentParser
import Larder

#if canImport(Glibc)
import Glibc
#endif

/// The options of `larder backfill --command`: the intervals, what to
/// recompute, how many commands at once, and when to give up.
struct IntervalOptions: ParsableArguments {
    @Option(help: "A shell command run once per interval; {start} and {end} become its bounds in RFC 3339. Its standard output is the interval's rows.")
    var command: String?

    @Option(help: "The start of the first interval (RFC 3339).")
    var from: String?

    @Option(help: "The end of the last interval (RFC 3339): --from plus a whole number of --every.")
    var to: String?

    @Option(help: "The length of each interval: 1h, 1d, 15m, ...")
    var every: String?

    @Flag(help: "Recompute every interval, also those already committed with the same command.")
    var force = false

    @Option(help: "Recompute the intervals ending within this duration before --to (late data), as new runs: 2d, 6h, ...")
    var lookback: String?

    @Option(help: "Run up to this many commands at once (writes stay serialized, in interval order).")
    var jobs = 1

    @Option(help: "Kill a command that runs longer than this duration (30s, 10m, ...); its interval fails.")
    var timeout: String?

    @Flag(help: "Stop at the first interval that fails (the others are not run).")
    var failFast = false

    /// The first interval option given without --command, if any.
    var usedOption: String? {
        [(from != nil, "--from"), (to != nil, "--to"), (every != nil, "--every"), (force, "--force"), (lookback != nil, "--lookback"),
         (jobs != 1, "--jobs"), (timeout != nil, "--timeout"), (failFast, "--fail-fast")].first { $0.0 }?.1
    }

    /// Checks the options given with --command (not `validate()`: argument
    /// parser would run it without --command too).
    func check() throws {
        if from == nil || to == nil || every == nil { throw ValidationError("--command needs --from, --to and --every") }
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
        for (name, value) in [("--every", every), ("--lookback", lookback), ("--timeout", timeout)] {
            if let value, DurationText.parse(value) == nil { throw ValidationError("\(name) \(value) is not a duration (such as 90s, 15m, 12h, 1d)") }
        }
    }

    /// Runs the backfill over intervals, printing each interval's outcome
    /// as it is known (a failure's message on standard error) and a summary.
    func run(store: FeatureStore, view: ViewReference, ingest: IngestOptions) throws -> BackfillReport {
        guard let command, let from, let to, let every, let every = DurationText.parse(every) else { throw ValidationError("--command needs --from, --to and --every") }
        var backfill = BackfillOptions(from: try Timestamp(parsing: from), to: try Timestamp(parsing: to), every: every)
        backfill.ingest = ingest
        backfill.force = force
        backfill.lookback = lookback.flatMap(DurationText.parse) ?? 0
        backfill.jobs = jobs
        backfill.timeoutSeconds = timeout.flatMap(DurationText.parse).map { Double($0) / 1_000_000 }
        backfill.failFast = failFast
        let report = try store.backfill(view: view.name, version: view.version, producer: .command(command), options: backfill) { interval, outcome in
            switch outcome {
            case .committed(let run, let rows): print("\(interval)  committed  run \(run), \(rows) row\(rows == 1 ? "" : "s")")
            case .skipped: print("\(interval)  skipped    already committed with this command")
            case .unchanged: print("\(interval)  unchanged  recomputed to the same content: no new run")
            case .notRun: print("\(interval)  not run    an earlier interval failed (--fail-fast)")
            case .failed(let message):
                print("\(interval)  FAILED     \(message.prefix { $0 != "\n" })")
                printError("\(interval): \(message)")
            }
            fflush(nil) // each line as the interval ends, also into a pipe (a killed backfill's log is complete)
        }
        var counts: [String: Int] = [:]
        for (_, outcome) in report.intervals {
            let name = switch outcome {
            case .committed: "committed"
            case .skipped: "skipped"
            case .unchanged: "unchanged"
            case .failed: "failed"
            case .notRun: "not run"
            }
            counts[name, default: 0] += 1
        }
        let summary = ["committed", "skipped", "unchanged", "failed", "not run"].compactMap { name in counts[name].map { "\($0) \(name)" } }
        print("intervals: \(report.intervals.count) (\(summary.joined(separator: ", ")))" + (report.allCommitted ? "" : "; not all committed"))
        return report
    }
}
