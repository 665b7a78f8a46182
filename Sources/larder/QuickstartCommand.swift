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
        let lastHour = Quickstart.hour(before: Timestamp.now.microseconds)
        let demo = try Quickstart.make(in: dir, lastHour: lastHour)
        print("1. wrote the definitions \(demo.definitionsPath)")
        print("2. generated \(demo.dataRows) rows of hourly driver stats in \(demo.dataPath)")
        print("3. applied them to the new store \(demo.storePath):")
        print(demo.plan.description.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        let run = demo.run
        print("4. backfilled them as run \(run.runID ?? 0): \(run.rowsWritten) rows in \(String(format3: run.seconds)) s "
              + "(\(Int(Double(run.rowsWritten) / max(run.seconds, 0.001))) rows/s), every row validated")
        print("5. online features now (feature set driver_ranking; 99999 is not a driver):")
        print(indent(alignedTable(header: demo.online.header, rows: demo.online.rows)))
        print("6. a point-in-time training set for a small spine (each row sees only data from before its time):")
        print(indent(alignedTable(header: demo.training.header, rows: demo.training.rows)))
        let shifted = demo.shiftedRun
        print("7. sent the first day again as run \(shifted.runID ?? 0) (\(shifted.rowsWritten) rows) with a shift injected "
              + "(conv_rate skewed up, city null 3% → 20%); its drift from run \(run.runID ?? 0), from each run's statistics:")
        print("   $ larder drift driver_stats --baseline \(run.runID ?? 0) --current \(shifted.runID ?? 0)")
        print(indent(demo.drift.table()))
        print("   exit code \(demo.drift.drifted.isEmpty ? 0 : 3) (3: a feature drifted, so a scheduler stops here; 0: none did)")
        let storePath = demo.storePath
        print("""

            Try it:
              larder list --store \(storePath)
              larder describe driver_stats --store \(storePath)
              larder runs driver_stats --store \(storePath)
              larder stats driver_stats --store \(storePath)
              larder drift driver_stats --baseline \(run.runID ?? 0) --current \(shifted.runID ?? 0) --store \(storePath); echo "exit $?"
              larder online --feature-set driver_ranking --entity driver_id=1001 --store \(storePath)
              larder historical --at \(Timestamp(microseconds: lastHour)) --feature-set driver_ranking --output - --store \(storePath)
              larder serve --store \(storePath)    # the feature server on 127.0.0.1:6566 (docs/serving.md), then:
              curl -s localhost:6566/v1/online-features -H 'Content-Type: application/json' -d '{"feature_set": "driver_ranking", "entities": {"driver_id": [1001, 1002]}}'
              open http://127.0.0.1:6566/ui/    # while larder serve runs: the catalog, runs, distributions, drift (docs/ui.md)
            """)
    }
}

/// `text` with every line indented by three spaces.
func indent(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: false).map { "   " + $0 }.joined(separator: "\n")
}
