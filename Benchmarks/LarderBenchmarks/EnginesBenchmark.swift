import ArgumentParser
import Foundation
import Larder
import LarderPostgres

/// `engines`: the same work on SQLite and on PostgreSQL (issue 15) — the
/// backfill of driver_stats.csv as a whole `larder backfill` process, a cold
/// load of the view into the cache from the engine, warm historical on the
/// spine and online p50/p99 in process, and `larder historical` written by
/// both engines compared byte for byte.
///
/// PostgreSQL: `--postgres` is a database the benchmark may create and drop
/// other databases from (`postgres://postgres@127.0.0.1:5432/postgres`);
/// each backfill goes into a new database `larder_bench`, created and
/// dropped with `psql`. The view is defined with TTL 0, as in `online`, so
/// that every online value is present on both engines.
struct EnginesBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "engines",
                                                    abstract: "Backfill, cold load, warm historical and online on SQLite and PostgreSQL; historical output compared.")

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "A PostgreSQL database URL to create and drop the benchmark's database from.")
    var postgres: String

    @Option(help: "The psql executable.")
    var psql = "psql"

    @Option(help: "Times each online call sequence is replayed.")
    var passes = 20

    func run() throws {
        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        let definitions = try String(contentsOfFile: options.definitions, encoding: .utf8).replacingOccurrences(of: "ttl: 7d", with: "ttl: 0")
        let defsPath = options.work + "/engines.yaml"
        try definitions.write(toFile: defsPath, atomically: true, encoding: .utf8)
        let input = options.data + "/driver_stats.csv"
        let rows = try countLines(input) - 1
        let sqlite = options.work + "/engines.db"
        guard var target = URLComponents(string: postgres) else { throw ValidationError("--postgres is not a URL") }
        target.path = "/larder_bench"
        let pg = target.string!

        for (engine, store) in [("sqlite", sqlite), ("postgres", pg)] {
            var seconds: [Double] = []
            for _ in 0..<options.repeats {
                try recreate(engine, store)
                _ = try Measure.run(options.larder, ["apply", defsPath, "--store", store])
                let run = try Measure.run(options.larder, ["backfill", "driver_stats", "--input", input, "--store", store])
                guard run.status == 0 else { throw ValidationError("backfill into \(engine) failed: \(run.stdout)") }
                seconds.append(run.seconds)
            }
            let median = Measure.median(seconds)
            print("engines_backfill engine=\(engine) rows=\(rows) repeats=\(seconds.count) median_s=\(Measure.format(median)) "
                  + "rows_per_s=\(Int(Double(rows) / median)) min_s=\(Measure.format(seconds.min()!)) max_s=\(Measure.format(seconds.max()!))")
        }

        let spine = try SpineReader.read(.file(options.data + "/spine.csv"), joinKeys: [JoinKey(name: "driver_id", type: .int64)]).frame
        let features = [FeatureReference(view: "driver_stats", feature: nil)]
        let requests = try OnlineBenchmark.loadRequests(options.data + "/online_requests.csv")
        var outputs: [Data] = []
        for (engine, store) in [("sqlite", sqlite), ("postgres", pg)] {
            // Cold: a new store object each time, no snapshot files: the view read from the engine.
            var cold: [Double] = []
            for _ in 0..<options.repeats {
                let s = try FeatureStore.open(store, options: .init(create: false, snapshotFiles: false))
                cold.append(try timed { _ = try s.reader(featureSet: "driver_stats_svc").read(key: 1000) })
            }
            let s = try FeatureStore.open(store, options: .init(create: false, snapshotFiles: false))
            _ = try s.historicalFeatures(spine: spine, features: features)
            var warm: [Double] = []
            for _ in 0..<max(options.repeats, 10) { warm.append(try timed { _ = try s.historicalFeatures(spine: spine, features: features) }) }
            print("engines_cache engine=\(engine) cold_load_median_s=\(Measure.format(Measure.median(cold))) cold_load_max_s=\(Measure.format(cold.max()!)) "
                  + "historical_warm_median_ms=\(Measure.format(Measure.median(warm) * 1000, 1)) spine_rows=\(spine.rowCount)")
            let reader = try s.reader(featureSet: "driver_stats_svc")
            for batch in [1, 100] {
                let replay = try OnlineReplay(reader: reader, calls: requests[batch] ?? [], passes: passes)
                print("engines_online engine=\(engine) batch=\(batch) \(replay.figures) checksum=\(replay.checksum)")
            }
            let answers = options.work + "/engines-\(engine).csv"
            let run = try Measure.run(options.larder, ["historical", "--spine", options.data + "/spine.csv", "--feature-set", "driver_stats_svc",
                                                        "--format", "csv", "--output", answers, "--store", store])
            guard run.status == 0 else { throw ValidationError("larder historical on \(engine) failed") }
            print("engines_historical_process engine=\(engine) s=\(Measure.format(run.seconds)) output=\(answers)")
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: answers)))
        }
        print("engines_historical_identical=\(outputs[0] == outputs[1]) bytes=\(outputs[0].count)")
    }

    /// An empty store for `engine` at `store`: the SQLite file removed, or the database dropped and created.
    func recreate(_ engine: String, _ store: String) throws {
        if engine == "sqlite" {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
            try? FileManager.default.removeItem(atPath: store + ".cache")
            return
        }
        let run = try Measure.run("/usr/bin/env", [psql, postgres, "-q", "-c", "DROP DATABASE IF EXISTS larder_bench WITH (FORCE)", "-c", "CREATE DATABASE larder_bench"])
        guard run.status == 0 else { throw ValidationError("psql could not create larder_bench on \(postgres)") }
    }
}
