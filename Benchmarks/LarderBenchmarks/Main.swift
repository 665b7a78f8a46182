import ArgumentParser
import Foundation
import Larder

/// Release-mode benchmarks of Larder on the data of `../shared/bench`
/// (`gen_data.py`). Build and run with
///
///     LARDER_BENCHMARKS=1 swift run -c release LarderBenchmarks all --data DIR
///
/// where DIR holds `driver_stats.csv`, `spine.csv` and `online_requests.csv`.
@main
struct LarderBenchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "LarderBenchmarks",
        abstract: "Release-mode benchmarks of Larder (medians of repeated runs).",
        subcommands: [BackfillBenchmark.self, HistoricalBenchmark.self, OnlineBenchmark.self, CacheBenchmark.self, ExportBenchmark.self,
                      ProcessBenchmark.self, WriteBenchmark.self, SharingBenchmark.self, SharingChild.self,
                      StatisticsCostBenchmark.self, StatisticsQueryBenchmark.self, EnginesBenchmark.self])
}

/// Options every benchmark shares.
struct BenchmarkOptions: ParsableArguments {
    @Option(help: "Folder with driver_stats.csv, spine.csv, online_requests.csv (from gen_data.py).")
    var data: String

    @Option(help: "Path of the larder executable (release build).")
    var larder = ".build/release/larder"

    @Option(help: "Scratch folder for stores and outputs.")
    var work = "/tmp/larder-bench"

    @Option(help: "Definitions file of the benchmark view.")
    var definitions = "../shared/bench/larder/driver_stats.yaml"

    @Option(help: "Repetitions (the median is reported).")
    var repeats = 5

    /// An existing store to read instead of backfilling one (the 10M-row store takes minutes to backfill).
    @Option(help: "An existing store holding the view, only read, used by historical and cache instead of backfilling one into --work.")
    var store: String?

    /// Whether the in-process benchmarks map snapshot files (the default) or
    /// build every snapshot in memory from SQLite (the cache before issue 10),
    /// to compare the two on the same machine at the same time.
    @Flag(inversion: .prefixedNo, help: "In process, map the snapshot files (--no-snapshot-files: load every view from SQLite into memory).")
    var snapshotFiles = true

    /// How the in-process benchmarks open the store.
    var storeOptions: FeatureStore.Options { FeatureStore.Options(create: false, snapshotFiles: snapshotFiles) }
}

/// `backfill`: `larder backfill` of driver_stats.csv into an empty store, as a whole process.
struct BackfillBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backfill", abstract: "Backfill the CSV into a fresh store, end to end.")

    @OptionGroup var options: BenchmarkOptions

    func run() throws {
        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        let input = options.data + "/driver_stats.csv"
        let rows = try countLines(input) - 1
        var seconds: [Double] = []
        var rss: [Double] = []
        for _ in 0..<options.repeats {
            let store = options.work + "/backfill.db"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
            _ = try Measure.run(options.larder, ["apply", options.definitions, "--store", store])
            let run = try Measure.run(options.larder, ["backfill", "driver_stats", "--input", input, "--store", store])
            guard run.status == 0 else { throw ValidationError("backfill failed: \(run.stdout)") }
            seconds.append(run.seconds)
            rss.append(run.peakRSSMegabytes)
        }
        let median = Measure.median(seconds)
        print("backfill rows=\(rows) repeats=\(options.repeats) median_s=\(Measure.format(median)) rows_per_s=\(Int(Double(rows) / median)) "
              + "min_s=\(Measure.format(seconds.min()!)) max_s=\(Measure.format(seconds.max()!)) peak_rss_mb_max=\(Measure.format(rss.max()!, 1))")
    }
}

/// The number of lines of a file.
func countLines(_ path: String) throws -> Int {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    var count = 0
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
        count += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
    }
    return count
}
