import Foundation
import Larder
import Testing

@Suite struct CrashTests {
    let dir = TemporaryDirectory()

    /// Kills `larder backfill` with SIGKILL at several points of a run; after
    /// each kill the store is intact, shows no trace of the killed run, and a
    /// final run commits exactly the input's rows.
    @Test func killedBackfillLeavesNoTrace() throws {
        let store = dir.file("crash.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", exampleDefinitions), "--store", store]).status == 0)
        let rows = 200_000
        var csv = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
        csv.reserveCapacity(rows * 60)
        for i in 0..<rows {
            csv += "\(1000 + i % 5000),2026-11-\(10 + i / 20_000)T\(10 + (i % 20_000) / 5_000):00:00Z,0.\(i % 10),0.5,\(i % 40),oslo\n"
        }
        let input = try dir.write("big.csv", csv)
        var killed = 0
        for delay in [0.05, 0.15, 0.3, 0.6, 1.0] {
            let process = CLI.start(["backfill", "driver_stats", "--input", input, "--store", store])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
            let s = try FeatureStore(path: store, options: .init(create: false))
            #expect(try s.integrityCheck() == "ok")
            let runs = try s.runs(view: "driver_stats").map(\.rows)
            let stored = try s.rowCount(view: "driver_stats")
            if runs.isEmpty {
                // Killed before the commit: no trace of the run.
                #expect(process.terminationReason == .uncaughtSignal)
                #expect(stored == 0, "after a kill at \(delay) s")
            } else {
                // The run committed before the process ended (or was killed just after the
                // commit): then it is complete, never partial.
                #expect(runs == [rows] && stored == rows, "after a kill at \(delay) s: runs \(runs), \(stored) rows")
                break
            }
        }
        #expect(killed >= 3, "the backfill finished too fast to be killed mid-run")
        let s = try FeatureStore(path: store, options: .init(create: false))
        if try s.rowCount(view: "driver_stats") == 0 {
            let result = try CLI.run(["backfill", "driver_stats", "--input", input, "--store", store])
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(try s.rowCount(view: "driver_stats") == rows)
        #expect(try s.runs(view: "driver_stats").map(\.rows) == [rows])
        #expect(try s.integrityCheck() == "ok")
    }
}
