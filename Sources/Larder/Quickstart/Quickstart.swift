#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The demo behind `larder quickstart`: a bundled definitions file and a
/// seeded, generated dataset of hourly driver statistics.
package enum Quickstart {
    /// The definitions the demo applies (the example of semantics §6, with a few more features).
    package static let definitionsYAML = """
        # Larder quick start: one entity, one feature view, one feature set.
        entities:
          - name: driver
            join_keys: [{name: driver_id, type: int64}]
            description: A driver on the platform
        feature_views:
          - name: driver_stats
            entity: driver
            ttl: 7d
            description: Hourly driver quality stats
            owner: quickstart
            features:
              - {name: conv_rate, type: float64, expect: {min: 0, max: 1}}
              - {name: acc_rate, type: float64, expect: {min: 0, max: 1}}
              - {name: avg_daily_trips, type: int64, expect: {not_null: true, min: 0}}
              - {name: city, type: string, expect: {allowed: [berlin, lisbon, oslo, paris]}}
        feature_sets:
          - name: driver_ranking
            features: [driver_stats:conv_rate, driver_stats:acc_rate, driver_stats:avg_daily_trips]

        """

    /// The start of the hour before `time` (µs): the last hour of a dataset
    /// that ends now.
    package static func hour(before time: Int64) -> Int64 {
        time / 3_600_000_000 * 3_600_000_000
    }

    /// What ``make(in:lastHour:)`` made.
    package struct Demo: Sendable {
        /// The store, `DIR/larder.db`.
        package var storePath: String
        /// The definitions file, `DIR/driver_stats.yaml`.
        package var definitionsPath: String
        /// The generated data, `DIR/driver_stats.csv`.
        package var dataPath: String
        /// Rows in the data file.
        package var dataRows: Int
        /// What applying the definitions did.
        package var plan: ApplyPlan
        /// The backfill of the data.
        package var run: IngestResult
        /// Online features of drivers 1001, 1002, 1003 and 99999 (no such
        /// driver) from the feature set `driver_ranking`: a value, or the
        /// status where there is none.
        package var online: Table
        /// A point-in-time training set for a four-row spine whose `note`
        /// column says what each row should see.
        package var training: Table
        /// The second run: the first day sent again with a shift injected
        /// (``writeDataset(to:lastHour:drivers:days:seed:shifted:)``).
        package var shiftedRun: IngestResult
        /// The drift of the second run from the first, which ``shiftedRun`` drifted.
        package var drift: DriftReport
    }

    /// Rows of text under a header, for printing.
    package struct Table: Sendable {
        /// The column names.
        package var header: [String]
        /// The rows, one string per column.
        package var rows: [[String]]
    }

    /// Makes the demo in the folder `dir` (created if missing): the
    /// definitions, the dataset (see ``writeDataset(to:lastHour:drivers:days:seed:)``)
    /// and a store with both. Each file appears complete or not at all: the
    /// new store is built beside `DIR/larder.db` and renamed over it only
    /// once it is complete, so a failure leaves an earlier demo store as it was.
    package static func make(in dir: String, lastHour: Int64) throws(LarderError) -> Demo {
        if !FilePath.isDirectory(dir), mkdir(dir, 0o777) != 0 {
            throw .io(path: dir, message: "cannot make the folder: \(FilePath.lastError())")
        }
        let storePath = dir + "/larder.db"
        let definitionsPath = dir + "/driver_stats.yaml"
        let dataPath = dir + "/driver_stats.csv"
        let files = try OutputFiles(store: StoreFiles.all(storePath), inputs: [], outputs: [
            .init("definitions", destination: .file(definitionsPath)), .init("dataset", destination: .file(dataPath)),
        ])
        var definitions = try files.sink(for: .file(definitionsPath))
        definitions.buffer.append(contentsOf: definitionsYAML.utf8)
        try definitions.close()
        var data = try files.sink(for: .file(dataPath))
        let rows = try writeDataset(to: &data, lastHour: lastHour)
        try data.close()
        try files.commit()

        let store = try OutputFiles(store: [], inputs: [.init("definitions", path: definitionsPath), .init("dataset", path: dataPath)],
                                    outputs: [.init("store", destination: .file(storePath))])
        let building = try store.file(storePath)
        let (plan, run, shifted) = try fill(store: building.temporaryPath, definitionsPath: definitionsPath, dataPath: dataPath,
                                            lastHour: lastHour)
        try StoreFiles.checkpoint(storePath)
        try store.commit()
        let made = try FeatureStore(path: storePath, options: .init(create: false))
        let drift = try made.drift(view: "driver_stats", baseline: .run(run.runID ?? 0), current: .run(shifted.runID ?? 0))
        return Demo(storePath: storePath, definitionsPath: definitionsPath, dataPath: dataPath, dataRows: rows, plan: plan, run: run,
                    online: try online(made), training: try training(made, lastHour: lastHour), shiftedRun: shifted, drift: drift)
    }

    /// The online features the demo shows.
    private static func online(_ store: FeatureStore) throws(LarderError) -> Table {
        let drivers: [Int64] = [1001, 1002, 1003, 99_999]
        var ids = Column(type: .int64)
        for id in drivers { ids.append(id) }
        let online = try store.onlineFeatures(entities: FeatureFrame(names: ["driver_id"], columns: [ids]),
                                              features: try store.registry.featureSet("driver_ranking").features)
        let rows = drivers.indices.map { e in
            [String(drivers[e])] + online.values.indices.map { f in
                online.statuses[f][e] == .present ? online.values[f].value(e).text : online.statuses[f][e].rawValue
            }
        }
        return Table(header: ["driver_id"] + online.featureNames, rows: rows)
    }

    /// The training set the demo shows: four spine rows around the data.
    private static func training(_ store: FeatureStore, lastHour: Int64) throws(LarderError) -> Table {
        let hour: Int64 = 3_600_000_000
        let spine: [(Int64, Int64, String)] = [
            (1001, lastHour - 90 * 60_000_000, "between two hourly rows: the earlier one"),
            (1001, lastHour - 10 * 24 * hour, "10 days ago: that hour's row"),
            (1002, lastHour - 30 * 24 * hour, "before the first row: null"),
            (1003, lastHour + 8 * 24 * hour, "8 days after the last row: past the 7-day TTL, null"),
        ]
        var ids = Column(type: .int64), times = Column(type: .timestamp), notes = Column(type: .string)
        for (id, time, note) in spine {
            ids.append(id)
            times.append(time)
            notes.append(note)
        }
        let training = try store.historicalFeatures(
            spine: FeatureFrame(names: ["driver_id", "event_timestamp", "note"], columns: [ids, times, notes]),
            features: [FeatureReference(view: "driver_stats", feature: "conv_rate"), FeatureReference(view: "driver_stats", feature: "city")])
        let rows = (0..<training.rowCount).map { r in
            training.columns.map { column in column.isValid(r) ? column.value(r).text : "null" }
        }
        return Table(header: training.names, rows: rows)
    }

    /// Applies the definitions and backfills the data into a new store at
    /// `path`, then sends the first day again with a shift injected (a
    /// second run, `shifted-first-day.csv`), and closes the store. The
    /// second run supersedes the first day only: the online features and
    /// the training set the demo shows do not reach back that far.
    private static func fill(store path: String, definitionsPath: String, dataPath: String,
                             lastHour: Int64) throws(LarderError) -> (ApplyPlan, IngestResult, IngestResult) {
        let store = try FeatureStore(path: path, options: .init(cacheBytes: 0))
        let plan = try store.apply(try Definitions.parse(yaml: definitionsYAML, file: definitionsPath))
        let run = try store.backfill(view: "driver_stats", input: .file(dataPath))
        var shifted = ByteSink.memory()
        _ = try writeDataset(to: &shifted, lastHour: lastHour - Int64(29 * 24) * 3_600_000_000, days: 1, seed: 7, shifted: true)
        let second = try store.backfill(view: "driver_stats", input: .memory(name: "shifted-first-day.csv", bytes: shifted.buffer))
        return (plan, run, second)
    }

    /// Writes the demo dataset as CSV to `sink`: `drivers` drivers (ids 1001…)
    /// with one row per hour over `days` days, the last hour being `lastHour`
    /// (µs), so that online reads of a fresh demo find features within their
    /// 7-day TTL. Values come from a fixed seed: every run makes the same
    /// values. About 3 % of `city` values are empty (null). `shifted`
    /// injects a shift: `conv_rate` is the square root of the uniform value
    /// (mean 2/3 instead of 1/2) and about 20 % of `city` values are empty.
    ///
    /// - Returns: the number of data rows written.
    static func writeDataset(to sink: inout ByteSink, lastHour: Int64, drivers: Int = 1_000, days: Int = 30,
                             seed: UInt64 = 42, shifted: Bool = false) throws(LarderError) -> Int {
        let startTime = lastHour - Int64(days * 24 - 1) * 3_600_000_000
        var random = SplitMix64(seed: seed)
        sink.buffer.append(contentsOf: "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n".utf8)
        let cities = ["berlin", "lisbon", "oslo", "paris"]
        var rows = 0
        for hour in 0..<(days * 24) {
            let time = startTime + Int64(hour) * 3_600_000_000
            for driver in 0..<drivers {
                sink.buffer.append(contentsOf: String(1001 + driver).utf8)
                sink.buffer.append(0x2C)
                Timestamp.write(time, into: &sink.buffer)
                sink.buffer.append(0x2C)
                let conv = Double(random.next() % 1_000_000) / 1_000_000
                sink.buffer.append(contentsOf: String(shifted ? conv.squareRoot() : conv).utf8)
                sink.buffer.append(0x2C)
                sink.buffer.append(contentsOf: String(Double(random.next() % 1_000_000) / 1_000_000).utf8)
                sink.buffer.append(0x2C)
                sink.buffer.append(contentsOf: String(random.next() % 500).utf8)
                sink.buffer.append(0x2C)
                if random.next() % 100 >= (shifted ? 20 : 3) { sink.buffer.append(contentsOf: cities[(driver + hour / 24) % cities.count].utf8) }
                sink.buffer.append(0x0A)
                rows += 1
                try sink.flushIfFull()
            }
        }
        return rows
    }
}
