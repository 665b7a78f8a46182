import ArgumentParser
import Foundation
import Larder

/// `stats-cost`: what gathering statistics adds to a backfill. In process,
/// the CSV into a fresh store, alternating a run with statistics and one
/// without (``IngestOptions/gathersStatistics``), so both see the same load.
struct StatisticsCostBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats-cost",
                                                    abstract: "Backfill with and without statistics, alternating, in process (medians).")

    @OptionGroup var options: BenchmarkOptions

    func run() throws {
        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        let input = options.data + "/driver_stats.csv"
        let definitions = try Definitions.load(path: options.definitions)
        var wall: [Bool: [Double]] = [true: [], false: []], cpu: [Bool: [Double]] = [true: [], false: []]
        for _ in 0..<options.repeats {
            for gathers in [false, true] {
                let path = options.work + "/stats-cost.db"
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                let store = try FeatureStore(path: path, options: .init(cacheBytes: 0))
                try store.apply(definitions)
                var ingest = IngestOptions()
                ingest.gathersStatistics = gathers
                let cpuBefore = processCPUSeconds()
                let start = DispatchTime.now()
                let result = try store.backfill(view: "driver_stats", input: .file(input), options: ingest)
                wall[gathers]!.append(seconds(since: start))
                cpu[gathers]!.append(processCPUSeconds() - cpuBefore)
                guard result.rowsWritten > 0 else { throw ValidationError("nothing written") }
            }
        }
        let w0 = Measure.median(wall[false]!), w1 = Measure.median(wall[true]!)
        let c0 = Measure.median(cpu[false]!), c1 = Measure.median(cpu[true]!)
        print("stats-cost input=\(input) repeats=\(options.repeats) wall_without_s=\(Measure.format(w0)) wall_with_s=\(Measure.format(w1)) "
              + "wall_change_pct=\(Measure.format((w1 / w0 - 1) * 100, 1)) cpu_without_s=\(Measure.format(c0)) cpu_with_s=\(Measure.format(c1)) "
              + "cpu_change_pct=\(Measure.format((c1 / c0 - 1) * 100, 1)) "
              + "wall_without=\(wall[false]!.map { Measure.format($0) }.joined(separator: ",")) wall_with=\(wall[true]!.map { Measure.format($0) }.joined(separator: ","))")
    }
}

/// `stats100`: `store.statistics(view:)` over 100 runs, in process (the
/// merge of every run's sketches), on a store made of 100 slices of the CSV.
struct StatisticsQueryBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats100",
                                                    abstract: "Statistics merged over 100 runs, in process and as `larder stats` (medians).")

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Rows per run.")
    var rowsPerRun = 10_000

    @Option(help: "Runs.")
    var runs = 100

    func run() throws {
        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        let path = options.work + "/stats100.db"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        let store = try FeatureStore(path: path, options: .init(cacheBytes: 0))
        try store.apply(try Definitions.load(path: options.definitions))
        let text = try String(contentsOfFile: options.data + "/driver_stats.csv", encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst()
        guard lines.count >= runs * rowsPerRun else { throw ValidationError("the CSV has \(lines.count) rows, fewer than \(runs * rowsPerRun)") }
        for r in 0..<runs {
            let slice = lines[(r * rowsPerRun)..<((r + 1) * rowsPerRun)]
            let bytes = Array(([header] + slice).joined(separator: "\n").utf8) + [0x0A]
            _ = try store.backfill(view: "driver_stats", input: .memory(name: "slice-\(r)", bytes: bytes))
        }
        var inProcess: [Double] = [], asProcess: [Double] = []
        for _ in 0..<options.repeats {
            let start = DispatchTime.now()
            let statistics = try store.statistics(view: "driver_stats")
            inProcess.append(seconds(since: start))
            guard statistics.runs.count == runs else { throw ValidationError("\(statistics.runs.count) runs merged") }
            let run = try Measure.run(options.larder, ["stats", "driver_stats", "--store", path])
            guard run.status == 0 else { throw ValidationError("larder stats failed") }
            asProcess.append(run.seconds)
        }
        print("stats100 runs=\(runs) rows_per_run=\(rowsPerRun) repeats=\(options.repeats) "
              + "in_process_median_ms=\(Measure.format(Measure.median(inProcess) * 1000, 1)) "
              + "in_process_max_ms=\(Measure.format(inProcess.max()! * 1000, 1)) "
              + "larder_stats_median_ms=\(Measure.format(Measure.median(asProcess) * 1000, 1))")
    }
}
