import Foundation
import Larder
import Testing

/// `larder backfill --command` and `larder ledger` through the built executable (issue 14).
@Suite struct BackfillLedgerCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("ledger.db") }

    static let definitions = dailyTripsDefinitions

    /// The store with `daily` applied, and a pipeline script printing two rows at the start of `[$1, $2)`,
    /// after `pause` seconds, failing with a message on standard error for the start `failing`.
    func prepared(pause: String = "0", failing: String = "none") throws -> String {
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", Self.definitions), "--store", store]).status == 0)
        return try dir.write("day.sh", """
            sleep \(pause)
            if [ "$1" = \(failing) ]; then echo "upstream table missing for $1" >&2; exit 3; fi
            echo driver_id,event_timestamp,trips
            echo "1,$1,${TRIPS:-1}"
            echo "2,$LARDER_START,2"

            """)
    }

    func backfill(_ script: String, days: Int, _ extra: [String] = []) -> [String] {
        let to = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: 1_767_225_600 + Double(days) * 86_400))
        return ["backfill", "daily", "--store", store, "--command", "sh \(script) {start} {end}",
                "--from", "2026-01-01T00:00:00Z", "--to", to, "--every", "1d"] + extra
    }

    /// The runs of `daily` and the ledger agree: every committed entry names a
    /// run, every run is named by one entry, one run per interval, and the
    /// table holds exactly their rows.
    func checkConsistent(_ s: FeatureStore) throws -> Int {
        let ledger = try s.ledger(view: "daily")
        let runs = try s.runs(view: "daily")
        #expect(ledger.allSatisfy { $0.status == .committed })
        #expect(Set(ledger.compactMap(\.runID)) == Set(runs.map(\.id)))
        #expect(Set(runs.map(\.source)).count == runs.count, "an interval committed twice: \(runs.map(\.source))")
        #expect(Set(ledger.map { $0.interval.description }) == Set(runs.map(\.source)))
        #expect(try s.rowCount(view: "daily") == 2 * runs.count)
        // Committed intervals are a prefix: the backfill continues from the first not committed.
        #expect(ledger.enumerated().allSatisfy { $0.element.interval.start.microseconds == 1_767_225_600_000_000 + Int64($0.offset) * 86_400_000_000 })
        return ledger.count
    }

    @Test func aKilledBackfillResumesWithNoIntervalTwiceOrMissing() throws {
        let script = try prepared(pause: "0.05")
        let days = 16
        var committed = 0
        for _ in 0..<3 {
            // A killed process leaves its scratch folder behind (in this test's folder, not /tmp),
            // and the next backfill removes it.
            let process = CLI.start(backfill(script, days: days), environment: ["TMPDIR": dir.path])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Kill it once it has committed two more intervals (or has ended).
            let reader = try FeatureStore(path: store, options: .init(create: false))
            while process.isRunning, try reader.ledger(view: "daily").count < committed + 2 { usleep(5_000) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try checkConsistent(try FeatureStore(path: store, options: .init(create: false)))
            #expect(now >= committed)
            committed = now
        }
        #expect(committed < days, "the backfill ended before it was killed")
        let scratch = { try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("larder-spill-") }.count }
        #expect(try scratch() == 1, "each backfill removed the folder of the one killed before it")
        let resumed = try CLI.run(backfill(script, days: days), environment: ["TMPDIR": dir.path])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try scratch() == 0, "a backfill that ends removes its own scratch folder and the last killed one's")
        let lines = resumed.stdout.split(separator: "\n")
        #expect(lines.prefix(committed).allSatisfy { $0.contains("  skipped ") })
        #expect(lines.dropFirst(committed).prefix(days - committed).allSatisfy { $0.contains("  committed  run ") }, "\(resumed.stdout)")
        #expect(try checkConsistent(try FeatureStore(path: store, options: .init(create: false))) == days)
    }

    @Test func twoBackfillsAtOnceCommitEachIntervalOnce() throws {
        let script = try prepared(pause: "0.05")
        let processes = (0..<2).map { _ in CLI.start(backfill(script, days: 8)) }
        for process in processes {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        #expect(try checkConsistent(try FeatureStore(path: store, options: .init(create: false))) == 8)
    }

    @Test func aFailedIntervalSetsTheExitStatusAndShowsInTheLedger() throws {
        let script = try prepared(failing: "2026-01-02T00:00:00Z")
        let result = try CLI.run(backfill(script, days: 4))
        #expect(result.status == 1)
        #expect(result.stdout.contains("2026-01-02T00:00:00Z/2026-01-03T00:00:00Z  FAILED     the command exited with status 3"), "\(result.stdout)")
        #expect(result.stdout.contains("intervals: 4 (3 committed, 1 failed); not all committed"), "\(result.stdout)")
        #expect(result.stderr.contains("upstream table missing for 2026-01-02T00:00:00Z"), "\(result.stderr)")
        let table = try CLI.run(["ledger", "daily", "--store", store])
        #expect(table.status == 0)
        #expect(table.stdout == """
            daily@1: 4 intervals from 2026-01-01T00:00:00Z to 2026-01-05T00:00:00Z
            2026-01-01T00:00:00Z … 2026-01-02T00:00:00Z  committed  1 interval, run 1
            2026-01-02T00:00:00Z … 2026-01-03T00:00:00Z  FAILED     the command exited with status 3
            2026-01-03T00:00:00Z … 2026-01-05T00:00:00Z  committed  2 intervals, runs 2–3

            """, "\(table.stdout)")
        // A gap, then the JSON form.
        _ = try CLI.run(backfill(script, days: 7, ["--from", "2026-01-06T00:00:00Z"]).filter { _ in true })
        let json = try CLI.run(["ledger", "daily", "--store", store, "--format", "json"])
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(entries.map { $0["start"] as? String } == ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z",
                                                           "2026-01-04T00:00:00Z", "2026-01-06T00:00:00Z", "2026-01-07T00:00:00Z"])
        #expect(entries[1]["status"] as? String == "failed" && entries[1]["run_id"] is NSNull)
        #expect((entries[1]["message"] as? String)?.contains("upstream table missing") == true)
        let withGap = try CLI.run(["ledger", "daily", "--store", store])
        #expect(withGap.stdout.contains("2026-01-05T00:00:00Z … 2026-01-06T00:00:00Z  gap"), "\(withGap.stdout)")
        // Late data on January 4: a new run for it, listed beside the older run of January 3.
        let late = try CLI.run(backfill(script, days: 4, ["--lookback", "1d"]), environment: ["TRIPS": "5"])
        #expect(late.stdout.contains("2026-01-04T00:00:00Z/2026-01-05T00:00:00Z  committed  run 6, 2 rows"), "\(late.stdout)")
        let recomputed = try CLI.run(["ledger", "daily", "--store", store])
        #expect(recomputed.stdout.contains("2026-01-03T00:00:00Z … 2026-01-05T00:00:00Z  committed  2 intervals, runs 2, 6"), "\(recomputed.stdout)")
        #expect(recomputed.stdout.contains("2026-01-06T00:00:00Z … 2026-01-08T00:00:00Z  committed  2 intervals, runs 4–5"), "\(recomputed.stdout)")
    }

    @Test func usageMistakesAreRefused() throws {
        let script = try prepared()
        for (arguments, message) in [
            (backfill(script, days: 2, ["--input", "x.csv"]), "--input and --command cannot be used together"),
            (["backfill", "daily", "--store", store, "--input", "x.csv", "--every", "1d"], "--every is only used with --command"),
            (["backfill", "daily", "--store", store, "--command", "true", "--from", "2026-01-01T00:00:00Z"], "--command needs --from, --to and --every"),
            (backfill(script, days: 2, ["--every", "1 day"]), "--every 1 day is not a duration"),
        ] {
            let result = try CLI.run(arguments)
            #expect(result.status == 1 && result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        #expect(try FeatureStore(path: store, options: .init(create: false)).runs(view: "daily").isEmpty)
    }
}
