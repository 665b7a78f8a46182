import ArgumentParser
import Foundation
import Larder

/// `historical`: the training-set query on the 100,000-row spine, in process
/// (first call and warm calls) and as a whole `larder historical` process.
struct HistoricalBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "historical", abstract: "Point-in-time join of spine.csv, in process and as a process.")

    @OptionGroup var options: BenchmarkOptions

    /// The format `larder historical` writes (the issue 10 target is for Arrow).
    @Option(help: "Output format of the whole-process run: csv (what compare_oracle.py reads) or arrow.")
    var outputFormat = "csv"

    func run() throws {
        let store = try options.store ?? prepareStore(options, name: "query.db", definitions: options.definitions)
        let spinePath = options.data + "/spine.csv"
        let features = [FeatureReference(view: "driver_stats", feature: nil)]

        let opened = DispatchTime.now()
        let s = try FeatureStore(path: store, options: options.storeOptions)
        let spine = try SpineReader.read(.file(spinePath), joinKeys: [JoinKey(name: "driver_id", type: .int64)]).frame
        let first = try timed { _ = try s.historicalFeatures(spine: spine, features: features) }
        let openToFirst = seconds(since: opened)
        var warm: [Double] = []
        var warmCPU: [Double] = []
        for _ in 0..<max(options.repeats, 10) {
            let cpuStart = processCPUSeconds()
            warm.append(try timed { _ = try s.historicalFeatures(spine: spine, features: features) })
            warmCPU.append(processCPUSeconds() - cpuStart)
        }
        let rss = Measure.ownPeakRSSMegabytes()
        let memory = MemoryRollup.current()
        print("historical_in_process snapshot_files=\(options.snapshotFiles) spine_rows=\(spine.rowCount) first_call_s=\(Measure.format(first)) open_read_spine_first_call_s=\(Measure.format(openToFirst)) "
              + "warm_median_ms=\(Measure.format(Measure.median(warm) * 1000, 1)) warm_min_ms=\(Measure.format(warm.min()! * 1000, 1)) "
              + "warm_cpu_median_ms=\(Measure.format(Measure.median(warmCPU) * 1000, 1)) peak_rss_mb=\(Measure.format(rss, 1)) "
              + "\(memory.line("now_"))")

        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        let answers = options.work + "/answers." + outputFormat
        var runs: [ProcessRun] = []
        for _ in 0..<options.repeats {
            let run = try Measure.run(options.larder, ["historical", "--spine", spinePath, "--feature-set", "driver_stats_svc",
                                                        "--format", outputFormat, "--output", answers, "--store", store])
            guard run.status == 0 else { throw ValidationError("larder historical failed") }
            runs.append(run)
        }
        print("historical_process format=\(outputFormat) runs=\(runs.count) median_s=\(Measure.format(Measure.median(runs.map(\.seconds)))) min_s=\(Measure.format(runs.map(\.seconds).min()!)) "
              + "peak_rss_mb_max=\(Measure.format(runs.map(\.peakRSSMegabytes).max()!, 1)) output=\(answers)")
    }
}

/// `online`: the online request sequence of `online_requests.csv` through a
/// prepared reader, batch 1 and batch 100, reading every value out.
struct OnlineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "online", abstract: "Online lookups replayed from online_requests.csv, in process.")

    @OptionGroup var options: BenchmarkOptions

    @Option(help: "Times each timed call sequence is replayed (more samples for the percentiles).")
    var passes = 20

    @Flag(help: "Read a call of many entities as one read(key:) per entity (as before the batch read), not as one read(keys:).")
    var singleReads = false

    @Option(help: "Comma-separated batch sizes to replay (of those in online_requests.csv).")
    var batches = "1,100"

    @Flag(help: "Answer each call with FeatureStore.onlineFeatures (the path of larder online, the C ABI's one-shot query and the server's as_of route), the views cached, instead of a prepared reader.")
    var oneShot = false

    func run() throws {
        // TTL 0: the bench data is from January 2024, and Feast ignores the TTL online, so every
        // value is PRESENT on both sides. The lookup work (hash probe, binary search, TTL check) is the same.
        let definitions = try String(contentsOfFile: options.definitions, encoding: .utf8).replacingOccurrences(of: "ttl: 7d", with: "ttl: 0")
        let defsPath = options.work + "/online.yaml"
        try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
        try definitions.write(toFile: defsPath, atomically: true, encoding: .utf8)
        let store = try prepareStore(options, name: "online.db", definitions: defsPath)
        let s = try FeatureStore(path: store, options: options.storeOptions)
        let reader = try s.reader(featureSet: "driver_stats_svc")
        let features = try s.featureReferences(nil, featureSet: "driver_stats_svc")
        let requests = try OnlineBenchmark.loadRequests(options.data + "/online_requests.csv")
        var checksum = 0.0
        for batch in batches.split(separator: ",").compactMap({ Int($0) }) {
            let calls = requests[batch] ?? []
            let replay = oneShot ? try OnlineReplay(store: s, features: features, calls: calls, passes: passes)
                : try OnlineReplay(reader: reader, calls: calls, passes: passes, batched: !singleReads)
            checksum += replay.checksum
            print("online snapshot_files=\(options.snapshotFiles) batch=\(batch)\(singleReads ? " single_reads" : "")\(oneShot ? " one_shot" : "") \(replay.figures)")
        }
        print("checksum=\(checksum)")
    }

    /// Batch size → calls (each a list of driver ids), in call order.
    static func loadRequests(_ path: String) throws -> [Int: [[Int64]]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var calls: [Int: [Int: [Int64]]] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 4, let batch = Int(f[0]), let call = Int(f[1]), let id = Int64(f[3]) else { continue }
            calls[batch, default: [:]][call, default: []].append(id)
        }
        return calls.mapValues { byCall in byCall.keys.sorted().map { byCall[$0]! } }
    }
}

/// Online calls replayed through a prepared reader of `driver_stats_svc`,
/// every value read out (a call of one entity: `read(key:)`; of many: one
/// batch `read(keys:)`); the first 50 calls of each pass are a warm-up.
struct OnlineReplay {
    /// Each timed call's microseconds.
    var samples: [Double] = []
    /// Values present, of those read in the first pass.
    var present = 0, total = 0
    /// A sum of the values read, so that no read can be optimized away.
    var checksum = 0.0

    /// Replays `calls` (each a list of driver ids) `passes` times; a call of
    /// many ids as one batch read when `batched`.
    init(reader: FeatureReader, calls: [[Int64]], passes: Int, batched: Bool = true) throws {
        let count = reader.featureNames.count
        for pass in 0..<passes {
            for (call, ids) in calls.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                if batched && ids.count > 1 {
                    // Many entities: one batch read, every value read out of its columns.
                    readOut(try reader.read(keys: ids), counted: pass == 0 && call >= 50)
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
                    if call >= 50 { samples.append(elapsed) }
                    continue
                }
                for id in ids {
                    let row = try reader.read(key: id)
                    for f in 0..<count {
                        switch f {
                        case 8: checksum += Double(row.string(at: f)?.utf8.count ?? 0)
                        case 1, 3, 5, 7: checksum += Double(row.int64(at: f) ?? 0)
                        default: checksum += row.double(at: f) ?? 0
                        }
                        if pass == 0 && call >= 50 { total += 1; if row.status(at: f) == .present { present += 1 } }
                    }
                }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
                if call >= 50 { samples.append(elapsed) }
            }
        }
    }

    /// Replays `calls` `passes` times through `store.onlineFeatures` (one
    /// call of any size: a frame of keys, every value read out), with
    /// `features` cached.
    init(store: FeatureStore, features: [FeatureReference], calls: [[Int64]], passes: Int) throws {
        let frames = calls.map { ids in
            var keys = Column(type: .int64, capacity: ids.count)
            for id in ids { keys.append(id) }
            return FeatureFrame(names: ["driver_id"], columns: [keys])
        }
        for pass in 0..<passes {
            for (call, frame) in frames.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                readOut(try store.onlineFeatures(entities: frame, features: features), counted: pass == 0 && call >= 50)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1000
                if call >= 50 { samples.append(elapsed) }
            }
        }
    }

    /// Reads every value of `result` into ``checksum`` (and counts them when `counted`).
    private mutating func readOut(_ result: OnlineResult, counted: Bool) {
        for (f, column) in result.values.enumerated() {
            for i in 0..<column.count where column.isValid(i) {
                switch f {
                case 8: checksum += Double(column.offsets[i + 1] - column.offsets[i])
                case 1, 3, 5, 7: checksum += Double(column.ints[i])
                default: checksum += column.doubles[i]
                }
            }
            if counted { total += column.count; present += result.statuses[f].count { $0 == .present } }
        }
    }

    /// The figures printed: calls, p50, p99 and mean in µs, values present.
    var figures: String {
        "calls=\(samples.count) p50_us=\(Measure.format(Measure.percentile(samples, 50), 3)) p99_us=\(Measure.format(Measure.percentile(samples, 99), 3)) "
            + "mean_us=\(Measure.format(samples.reduce(0, +) / Double(samples.count), 3)) present=\(present)/\(total)"
    }
}

/// `cache`: bytes held by the columnar cache for the large view, against the
/// raw bytes of its columns.
struct CacheBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Cache memory against the raw bytes of its columns.")

    @OptionGroup var options: BenchmarkOptions

    func run() throws {
        let store = try options.store ?? prepareStore(options, name: "query.db", definitions: options.definitions)
        let before = currentRSSMegabytes()
        let s = try FeatureStore(path: store, options: options.storeOptions)
        let reader = try s.reader(featureSet: "driver_stats_svc")
        let after = currentRSSMegabytes()
        _ = try reader.read(key: 1000)
        for entry in try s.cacheStatistics() {
            print("cache view=\(entry.view)@\(entry.version) rows=\(entry.rows) cache_bytes=\(entry.bytes) raw_column_bytes=\(entry.rawBytes) "
                  + "ratio=\(Measure.format(Double(entry.bytes) / Double(entry.rawBytes), 3)) load_rss_growth_mb=\(Measure.format(after - before, 1))")
        }
    }
}

/// Resident memory now, in MB (from /proc/self/statm).
func currentRSSMegabytes() -> Double {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return .nan }
    let pages = Double(text.split(separator: " ")[1]) ?? .nan
    return pages * 4096 / 1_048_576
}

/// A store at `work/name` holding the large view, backfilled once and reused.
func prepareStore(_ options: BenchmarkOptions, name: String, definitions: String) throws -> String {
    try FileManager.default.createDirectory(atPath: options.work, withIntermediateDirectories: true)
    let store = options.work + "/" + name
    if FileManager.default.fileExists(atPath: store) { return store }
    _ = try Measure.run(options.larder, ["apply", definitions, "--store", store])
    let run = try Measure.run(options.larder, ["backfill", "driver_stats", "--input", options.data + "/driver_stats.csv", "--store", store])
    guard run.status == 0 else { throw ValidationError("backfill of \(store) failed") }
    return store
}

/// Seconds `body` takes.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return seconds(since: start)
}

/// CPU seconds the process has used, on all its threads: unlike the wall
/// clock, not inflated by waiting for a core on a loaded machine (a large
/// join runs on both cores, so twice its wall time when alone).
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Seconds since `start`.
func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}
