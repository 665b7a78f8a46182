import ArgumentParser
import Foundation

/// `export`: `larder export` of a 10,000,000-row view to CSV, JSON Lines and
/// Arrow, as whole processes: MB/s, rows/s and peak memory.
struct ExportBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export 10M rows in every format, streaming.")

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Rows in the exported view.")
    var rows = 10_000_000

    func run() throws {
        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        let store = options.work + "/export-\(rows).db"
        if !FileManager.default.fileExists(atPath: store) {
            let csv = options.work + "/export-\(rows).csv"
            try writeRows(csv, count: rows)
            _ = try Measure.run(options.larder, ["apply", options.definitions, "--store", store])
            let run = try Measure.run(options.larder, ["backfill", "driver_stats", "--input", csv, "--store", store])
            guard run.status == 0 else { throw ValidationError("backfill failed") }
            print("backfill rows=\(rows) s=\(Measure.format(run.seconds)) rows_per_s=\(Int(Double(rows) / run.seconds)) peak_rss_mb=\(Measure.format(run.peakRSSMegabytes, 1))")
            try FileManager.default.removeItem(atPath: csv)
        }
        for format in ["csv", "jsonl", "arrow"] {
            let output = options.work + "/export.\(format)"
            var runs: [ProcessRun] = []
            for _ in 0..<max(1, options.repeats) {
                let run = try Measure.run(options.larder, ["export", "driver_stats", "--format", format, "--output", output, "--store", store])
                guard run.status == 0 else { throw ValidationError("export failed") }
                runs.append(run)
            }
            let size = Double((try FileManager.default.attributesOfItem(atPath: output)[.size] as? NSNumber)?.intValue ?? 0)
            let median = Measure.median(runs.map(\.seconds))
            print("export format=\(format) rows=\(rows) median_s=\(Measure.format(median)) rows_per_s=\(Int(Double(rows) / median)) "
                  + "mb=\(Measure.format(size / 1e6, 0)) mb_per_s=\(Measure.format(size / 1e6 / median, 0)) peak_rss_mb_max=\(Measure.format(runs.map(\.peakRSSMegabytes).max()!, 1))")
            try FileManager.default.removeItem(atPath: output)
        }
    }

    /// A CSV of the benchmark view: 1,000,000 drivers × `count / 1e6` hours.
    func writeRows(_ path: String, count: Int) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var text = "driver_id,event_timestamp,created_timestamp,conv_rate,avg_daily_trips,acc_rate,trips_today,rating,earnings_cents,distance_km,cancellations,vehicle_type\n"
        let drivers = 1_000_000
        let types = ["bike", "car", "suv", "van"]
        for i in 0..<count {
            let driver = 1000 + i % drivers
            let hour = i / drivers
            let t = "2024-01-\(String(format: "%02d", 1 + hour / 24))T\(String(format: "%02d", hour % 24)):00:00Z"
            text += "\(driver),\(t),\(t),\(Double(i % 1000) / 1000),\(i % 500),\(Double(i % 997) / 997),\(i % 40),\(Double(i % 50) / 10),\(i % 100_000),\(Double(i % 3001) / 7),\(i % 9),\(types[i % 4])\n"
            if text.utf8.count > 1 << 20 {
                handle.write(Data(text.utf8))
                text.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(text.utf8))
    }
}
