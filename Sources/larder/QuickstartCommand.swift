import ArgumentParser
import Larder


/// `larder quickstart`: a demo store made from bundled definitions and a
/// generated dataset.
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Make a demo store (1,000 drivers × hourly stats over 30 days) and show what Larder does.")

    @Option(help: "The folder for the demo files (made if missing; its larder.db is replaced once the new one is complete).")
    var dir = "larder-quickstart"

    func run() throws {
        let lastHour = Quickstart.hour(before: Timestamp.nowMicroseconds())
        let demo = try Quickstart.make(in: dir, lastHour: lastHour)
        print("1. wrote the definitions \(demo.definitionsPath)")
        print("2. generated \(demo.dataRows) rows of hourly driver stats in \(demo.dataPath)")
        print("3. applied them to the new store \(demo.storePath):")
        print(demo.plan.description.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        let run = demo.run
        print("4. backfilled them as run \(run.runID ?? 0): \(run.rowsWritten) rows in \(String(format3: run.seconds)) s "
              + "(\(Int(Double(run.rowsWritten) / max(run.seconds, 0.001))) rows/s), every row validated")
        let store = try FeatureStore(path: demo.storePath, options: .init(create: false))
        let storePath = demo.storePath

        let drivers = [1001, 1002, 1003, 99_999]
        var ids = Column(type: .int64)
        for id in drivers { ids.append(Int64(id)) }
        let online = try store.onlineFeatures(entities: FeatureFrame(names: ["driver_id"], columns: [ids]),
                                              features: try store.registry.featureSet("driver_ranking").features)
        print("5. online features now (feature set driver_ranking; 99999 is not a driver):")
        var onlineRows: [[String]] = []
        for e in 0..<online.entityCount {
            onlineRows.append([String(drivers[e])] + online.values.indices.map { f in
                online.statuses[f][e] == .present ? online.values[f].value(e).text : online.statuses[f][e].rawValue
            })
        }
        print(indent(alignedTable(header: ["driver_id"] + online.featureNames, rows: onlineRows)))

        let hour: Int64 = 3_600_000_000
        let spine: [(Int64, Int64, String)] = [
            (1001, lastHour - 90 * 60_000_000, "between two hourly rows: the earlier one"),
            (1001, lastHour - 10 * 24 * hour, "10 days ago: that hour's row"),
            (1002, lastHour - 30 * 24 * hour, "before the first row: null"),
            (1003, lastHour + 8 * 24 * hour, "8 days after the last row: past the 7-day TTL, null"),
        ]
        var spineIDs = Column(type: .int64), times = Column(type: .timestamp), notes = Column(type: .string)
        for (id, time, note) in spine {
            spineIDs.append(id)
            times.append(time)
            notes.append(note)
        }
        let training = try store.historicalFeatures(
            spine: FeatureFrame(names: ["driver_id", "event_timestamp", "note"], columns: [spineIDs, times, notes]),
            features: [FeatureReference(view: "driver_stats", feature: "conv_rate"), FeatureReference(view: "driver_stats", feature: "city")])
        print("6. a point-in-time training set for a small spine (each row sees only data from before its time):")
        let table = (0..<training.rowCount).map { r in
            training.columns.map { column in column.isValid(r) ? column.value(r).text : "null" }
        }
        print(indent(alignedTable(header: training.names, rows: table)))
        print("""

            Try it:
              larder list --store \(storePath)
              larder describe driver_stats --store \(storePath)
              larder runs driver_stats --store \(storePath)
              larder online --feature-set driver_ranking --entity driver_id=1001 --store \(storePath)
              larder historical --at \(Timestamp.format(lastHour)) --feature-set driver_ranking --output - --store \(storePath)
            """)
    }
}

/// `text` with every line indented by three spaces.
func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "   " + $0 }.joined(separator: "\n")
}
