import ArgumentParser
import Foundation

/// `process`: the small CLI commands as whole processes on an existing
/// store — `larder online` for one entity, `list`, `describe`, `runs` —
/// their wall time and peak RSS, warm (snapshot file present, page cache
/// warm) and, when the page cache can be dropped, cold.
struct ProcessBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "process",
                                                    abstract: "larder online/list/describe/runs as whole processes, warm and cold.")

    @OptionGroup var options: ExistingStoreOptions

    /// The view `describe` and `runs` are given.
    @Option(help: "The view described and whose runs are listed.")
    var view = "driver_stats"

    /// The entity `larder online` reads.
    @Option(help: "The entity of larder online, KEY=VALUE.")
    var entity = "driver_id=1001"

    /// Whether to measure the cold runs too.
    @Flag(inversion: .prefixedNo, help: "Also measure after dropping the page cache (root; skipped when it fails).")
    var cold = true

    /// The commands measured, by name.
    @Option(help: "Comma-separated commands to measure: help, online, list, describe, runs.")
    var only = "help,online,list,describe,runs"

    /// Repetitions of the cold runs (each drops the whole machine's page cache).
    @Option(help: "Repetitions of each cold measurement.")
    var coldRepeats = 5

    /// Each measured command: its name in the output and its arguments.
    /// `help` (`larder --help`, no store opened) is the floor: starting the
    /// executable and its libraries.
    var commands: [(name: String, arguments: [String])] {
        let store = ["--store", options.store]
        return [
            ("help", ["--help"]),
            ("online", ["online", "--feature-set", options.featureSet, "--entity", entity] + store),
            ("list", ["list"] + store),
            ("describe", ["describe", view] + store),
            ("runs", ["runs", view] + store),
        ].filter { only.split(separator: ",").contains(Substring($0.name)) }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: options.store) else { throw ValidationError("no store at \(options.store)") }
        for command in commands {
            // One untimed run warms the page cache and checks the command works.
            let first = try Measure.run(options.larder, command.arguments)
            guard first.status == 0 else { throw ValidationError("larder \(command.arguments.joined(separator: " ")) exited with \(first.status)") }
            var runs: [ProcessRun] = []
            for _ in 0..<options.repeats { runs.append(try Measure.run(options.larder, command.arguments)) }
            report("warm", command.name, runs)
        }
        guard cold else { return }
        for command in commands {
            var runs: [ProcessRun] = []
            for _ in 0..<coldRepeats {
                if let problem = PageCache.drop() {
                    print("process cache=cold skipped=\"\(problem)\"")
                    return
                }
                runs.append(try Measure.run(options.larder, command.arguments))
            }
            report("cold", command.name, runs)
        }
    }

    /// Prints one line of figures of `runs` of the command `name`.
    func report(_ cache: String, _ name: String, _ runs: [ProcessRun]) {
        let ms = runs.map { $0.seconds * 1000 }, rss = runs.map(\.peakRSSMegabytes)
        print("process cache=\(cache) command=\(name) runs=\(runs.count) median_ms=\(Measure.format(Measure.median(ms), 1)) "
              + "min_ms=\(Measure.format(ms.min()!, 1)) max_ms=\(Measure.format(ms.max()!, 1)) "
              + "peak_rss_mb_median=\(Measure.format(Measure.median(rss), 1)) peak_rss_mb_max=\(Measure.format(rss.max()!, 1)) "
              + "failed=\(runs.filter { $0.status != 0 }.count)")
    }
}
