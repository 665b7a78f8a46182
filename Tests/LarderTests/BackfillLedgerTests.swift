import Synchronization
import Testing
@testable import Larder

/// Backfills over intervals and their ledger, from the library (issue 14).
@Suite struct BackfillLedgerTests {
    let dir = TemporaryDirectory()

    static let definitions = dailyTripsDefinitions

    static let day: Int64 = 86_400_000_000
    static let from = Timestamp(microseconds: 1_767_225_600_000_000) // 2026-01-01T00:00:00Z

    func store(_ name: String = "b.db") throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file(name))
        try s.apply(try Definitions.parse(yaml: Self.definitions, file: "defs.yaml"))
        return s
    }

    /// `days` daily intervals from 2026-01-01.
    static func options(days: Int) -> BackfillOptions {
        BackfillOptions(from: from, to: Timestamp(microseconds: from.microseconds + Int64(days) * day), every: day)
    }

    /// Two rows at the start of `interval` (drivers 1 and 2), `trips` trips each, `offset` µs after its start.
    static func frame(_ interval: BackfillInterval, trips: Int64, offset: Int64 = 0) throws -> FeatureFrame {
        var keys = Column(type: .int64, capacity: 2), times = Column(type: .timestamp, capacity: 2), values = Column(type: .int64, capacity: 2)
        for id in [1, 2] as [Int64] {
            try keys.append(.int64(id))
            try times.append(.timestamp(Timestamp(microseconds: interval.start.microseconds + offset)))
            try values.append(.int64(trips))
        }
        return FeatureFrame(names: ["driver_id", "event_timestamp", "trips"], columns: [keys, times, values])
    }

    /// A function producer counting its calls, with `trips` trips per row.
    final class Counting: Sendable {
        let calls = Mutex(0)
        let trips: Int64
        init(trips: Int64 = 5) { self.trips = trips }
        var producer: IntervalProducer {
            .function(name: "daily-v1") { interval in
                self.calls.withLock { $0 += 1 }
                return try BackfillLedgerTests.frame(interval, trips: self.trips)
            }
        }
        var count: Int { calls.withLock { $0 } }
    }

    @Test func eachIntervalIsItsOwnRunWithItsLedgerEntry() throws {
        let s = try store()
        let report = try s.backfill(view: "daily", producer: Counting().producer, options: Self.options(days: 3))
        #expect(report.allCommitted)
        #expect(report.intervals.map(\.outcome) == [.committed(runID: 1, rows: 2), .committed(runID: 2, rows: 2), .committed(runID: 3, rows: 2)])
        let ledger = try s.ledger(view: "daily")
        #expect(ledger.map(\.runID) == [1, 2, 3])
        #expect(ledger.map(\.status) == [.committed, .committed, .committed])
        #expect(ledger.map(\.interval.start.microseconds) == [0, 1, 2].map { Self.from.microseconds + $0 * Self.day })
        #expect(ledger.allSatisfy { $0.command == "daily-v1" && $0.message.isEmpty })
        #expect(ledger[0].fingerprint == LedgerEntry.fingerprint(version: 1, command: "daily-v1", contentSHA256: ledger[0].contentSHA256))
        #expect(try s.runs(view: "daily").map(\.source).last == "write")
        #expect(try s.rowCount(view: "daily") == 6)
    }

    @Test func theLedgerEntryIsWrittenInTheRunsTransaction() throws {
        let s = try store()
        _ = try s.backfill(view: "daily", producer: Counting().producer, options: Self.options(days: 1))
        // The entry of the second interval cannot be written: its run must not be kept either.
        try s.testSQL("""
            CREATE TRIGGER refuse BEFORE INSERT ON backfill_ledger WHEN NEW.start_us > \(Self.from.microseconds)
            BEGIN SELECT RAISE(ABORT, 'ledger refused'); END
            """)
        #expect(throws: LarderError.self) { try s.backfill(view: "daily", producer: Counting().producer, options: Self.options(days: 2)) }
        #expect(try s.runs(view: "daily").map(\.id) == [1])
        #expect(try s.rowCount(view: "daily") == 2)
        #expect(try s.ledger(view: "daily").count == 1)
    }

    @Test func committedIntervalsAreSkippedUnlessForced() throws {
        let s = try store()
        let first = Counting()
        _ = try s.backfill(view: "daily", producer: first.producer, options: Self.options(days: 3))
        #expect(first.count == 3)
        // The same command again, one day further: only the new day runs.
        let again = Counting()
        let report = try s.backfill(view: "daily", producer: again.producer, options: Self.options(days: 4))
        #expect(again.count == 1)
        #expect(report.intervals.map(\.outcome) == [.skipped, .skipped, .skipped, .committed(runID: 4, rows: 2)])
        // --force recomputes all; the same output is no new run.
        var forced = Self.options(days: 4)
        forced.force = true
        let same = Counting()
        #expect(try s.backfill(view: "daily", producer: same.producer, options: forced).intervals.map(\.outcome) == Array(repeating: .unchanged, count: 4))
        #expect(same.count == 4)
        // A changed output is a new run per interval; the old runs stay.
        let changed = Counting(trips: 6)
        let recomputed = try s.backfill(view: "daily", producer: changed.producer, options: forced)
        #expect(recomputed.intervals.map(\.outcome) == (5...8).map { .committed(runID: Int64($0), rows: 2) })
        #expect(try s.ledger(view: "daily").map(\.runID) == [5, 6, 7, 8])
        #expect(try s.runs(view: "daily").count == 8)
    }

    @Test func anotherCommandRecomputes() throws {
        let s = try store()
        _ = try s.backfill(view: "daily", producer: Counting().producer, options: Self.options(days: 2))
        let renamed = IntervalProducer.function(name: "daily-v2") { try BackfillLedgerTests.frame($0, trips: 5) }
        let report = try s.backfill(view: "daily", producer: renamed, options: Self.options(days: 2))
        #expect(report.intervals.map(\.outcome) == [.committed(runID: 3, rows: 2), .committed(runID: 4, rows: 2)])
        #expect(try s.ledger(view: "daily").map(\.command) == ["daily-v2", "daily-v2"])
    }

    @Test func lookbackRecomputesTheLatestIntervalsAsNewRuns() throws {
        let s = try store()
        _ = try s.backfill(view: "daily", producer: Counting().producer, options: Self.options(days: 4))
        let before = Timestamp.now
        var late = Self.options(days: 4)
        late.lookback = 2 * Self.day
        let counting = Counting(trips: 9)
        let report = try s.backfill(view: "daily", producer: counting.producer, options: late)
        #expect(counting.count == 2)
        #expect(report.intervals.map(\.outcome) == [.skipped, .skipped, .committed(runID: 5, rows: 2), .committed(runID: 6, rows: 2)])
        #expect(try s.ledger(view: "daily").map(\.runID) == [1, 2, 5, 6])
        // Time travel still sees the old answer: the old runs are there, committed before.
        let runs = try s.runs(view: "daily")
        #expect(runs.map(\.id) == [6, 5, 4, 3, 2, 1])
        #expect(runs.filter { $0.committedAt <= before }.map(\.id) == [4, 3, 2, 1])
        #expect(try s.rowCount(view: "daily") == 12)
    }

    @Test func rowsOutsideTheirIntervalAreRejected() throws {
        let s = try store()
        let outside = IntervalProducer.function(name: "late") { interval in
            try BackfillLedgerTests.frame(interval, trips: 1, offset: interval.start == BackfillLedgerTests.from ? BackfillLedgerTests.day : 0)
        }
        let report = try s.backfill(view: "daily", producer: outside, options: Self.options(days: 2))
        guard case .failed(let message) = report.intervals[0].outcome else { Issue.record("\(report)"); return }
        #expect(message.contains("write:1: column event_timestamp: value \"2026-01-02T00:00:00.000000Z\": outside the interval [2026-01-01T00:00:00Z, 2026-01-02T00:00:00Z)"),
                "\(message)")
        #expect(report.intervals[1].outcome == .committed(runID: 1, rows: 2))
        #expect(!report.allCommitted)
        let ledger = try s.ledger(view: "daily")
        #expect(ledger.map(\.status) == [.failed, .committed])
        #expect(ledger[0].runID == nil && ledger[0].message == message)
        #expect(try s.rowCount(view: "daily") == 2)
    }

    @Test func aFailedIntervalLetsTheOthersCommitAndIsRetried() throws {
        let s = try store()
        struct Broken: Error {}
        let failing = IntervalProducer.function(name: "daily-v1") { interval in
            if interval.start.microseconds == BackfillLedgerTests.from.microseconds + BackfillLedgerTests.day { throw Broken() }
            return try BackfillLedgerTests.frame(interval, trips: 5)
        }
        let report = try s.backfill(view: "daily", producer: failing, options: Self.options(days: 3))
        #expect(report.intervals.map(\.outcome) == [.committed(runID: 1, rows: 2), .failed("the function daily-v1 failed: Broken()"),
                                                    .committed(runID: 2, rows: 2)])
        var fast = Self.options(days: 5)
        fast.failFast = true
        let stopped = try s.backfill(view: "daily", producer: failing, options: fast)
        #expect(stopped.intervals.map(\.outcome) == [.skipped, .failed("the function daily-v1 failed: Broken()"), .skipped, .notRun, .notRun])
        // Fixed: only the failed interval and the new ones run.
        let fixed = Counting()
        let retried = try s.backfill(view: "daily", producer: fixed.producer, options: Self.options(days: 5))
        #expect(fixed.count == 3)
        #expect(retried.allCommitted)
        #expect(try s.ledger(view: "daily").map(\.status) == Array(repeating: .committed, count: 5))
    }

    @Test func commandsGetTheirIntervalAndFailWithTheirStandardError() throws {
        let s = try store()
        let script = try dir.write("day.sh", """
            echo driver_id,event_timestamp,trips
            echo "1,$1,$LARDER_VERSION"
            echo "2,$LARDER_START,3"
            [ "$2" = "$LARDER_END" ] && [ "$LARDER_VIEW" = daily ] || exit 9
            if [ "$1" = 2026-01-02T00:00:00Z ]; then echo "no input for $1" >&2; exit 4; fi

            """)
        let report = try s.backfill(view: "daily", producer: .command("sh \(script) {start} {end}"), options: Self.options(days: 3))
        #expect(report.intervals[0].outcome == .committed(runID: 1, rows: 2))
        #expect(report.intervals[1].outcome == .failed("the command exited with status 4\nstandard error (its end):\nno input for 2026-01-02T00:00:00Z\n"))
        #expect(report.intervals[2].outcome == .committed(runID: 2, rows: 2))
        let ledger = try s.ledger(view: "daily")
        #expect(ledger.map(\.command) == (1...3).map { "sh \(script) 2026-01-0\($0)T00:00:00Z 2026-01-0\($0 + 1)T00:00:00Z" })
        #expect(try s.runs(view: "daily").map(\.source) == ["2026-01-03T00:00:00Z/2026-01-04T00:00:00Z", "2026-01-01T00:00:00Z/2026-01-02T00:00:00Z"])
        #expect(try s.testInt("SELECT SUM(trips) FROM fv_daily_v1") == 1 + 3 + 1 + 3)
    }

    @Test func emptyIntervalsAreCommittedAsEmptyRuns() throws {
        let s = try store()
        // Day 1 prints nothing at all, day 2 only the header, day 3 a row.
        let script = try dir.write("sparse.sh", """
            [ "$1" = 2026-01-01T00:00:00Z ] && exit 0
            echo driver_id,event_timestamp,trips
            [ "$1" = 2026-01-02T00:00:00Z ] && exit 0
            echo "1,$1,4"

            """)
        let report = try s.backfill(view: "daily", producer: .command("sh \(script) {start}"), options: Self.options(days: 3))
        #expect(report.intervals.map(\.outcome) == [.committed(runID: 1, rows: 0), .committed(runID: 2, rows: 0), .committed(runID: 3, rows: 1)])
        #expect(try s.ledger(view: "daily").map(\.status) == [.committed, .committed, .committed])
        #expect(try s.ledger(view: "daily").map(\.runID) == [1, 2, 3])
        #expect(try s.runs(view: "daily").map(\.rows) == [1, 0, 0])
        let again = try s.backfill(view: "daily", producer: .command("sh \(script) {start}"), options: Self.options(days: 3))
        #expect(again.intervals.map(\.outcome) == [.skipped, .skipped, .skipped])
        // A function's frame without rows (whatever its columns) is an empty interval too.
        let none = IntervalProducer.function(name: "none") { _ in FeatureFrame(names: [], columns: []) }
        #expect(try s.backfill(view: "daily", producer: none, options: Self.options(days: 1)).intervals.map(\.outcome)
                    == [.committed(runID: 4, rows: 0)])
        // A plain write of no rows is still refused.
        #expect(throws: LarderError.self) {
            try s.backfill(view: "daily", input: .file(try dir.write("empty.csv", "driver_id,event_timestamp,trips\n")))
        }
    }

    @Test func aCommandPastItsTimeoutIsKilled() throws {
        let s = try store()
        var options = Self.options(days: 1)
        options.timeoutSeconds = 0.2
        let started = Timestamp.now
        let report = try s.backfill(view: "daily", producer: .command("echo started >&2; sleep 30 & wait"), options: options)
        #expect(report.intervals[0].outcome == .failed("the command ran past its timeout of 0.2 s and was killed\nstandard error (its end):\nstarted\n"))
        #expect(Timestamp.now.microseconds - started.microseconds < 20_000_000)
        #expect(try s.ledger(view: "daily").map(\.status) == [.failed])
    }

    @Test func twoJobsMakeTheSameStoreAsOne() throws {
        let script = try dir.write("day.sh", """
            sleep 0.0$(( $(date -d "$1" +%d) % 3 ))
            echo driver_id,event_timestamp,trips
            echo "1,$1,$(date -d "$1" +%d)"

            """)
        var contents: [[String]] = []
        for jobs in [1, 2] {
            let s = try store("jobs\(jobs).db")
            var options = Self.options(days: 6)
            options.jobs = jobs
            let report = try s.backfill(view: "daily", producer: .command("sh \(script) {start}"), options: options)
            #expect(report.intervals.map(\.outcome) == (1...6).map { .committed(runID: Int64($0), rows: 1) })
            let ledger = try s.ledger(view: "daily")
            let runs = try s.runs(view: "daily").reversed().map { "\($0.id) \($0.source) \($0.contentSHA256) \($0.rows)" }
            contents.append(ledger.map { "\($0.interval) \($0.runID ?? 0) \($0.contentSHA256) \($0.fingerprint)" } + runs
                            + [String(try s.testInt("SELECT SUM(trips * __run_id) FROM fv_daily_v1"))])
        }
        #expect(contents[0] == contents[1])
    }

    @Test func twoJobsRunTwoCommandsAtOnce() throws {
        let s = try store()
        let folder = dir.file("started")
        // Each command waits (up to 5 s) until both have started; one at a time, the first would give up.
        let command = """
            mkdir -p \(folder); touch \(folder)/$LARDER_START; i=0
            while [ $(ls \(folder) | wc -l) -lt 2 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
            [ $(ls \(folder) | wc -l) -ge 2 ] || exit 7
            echo driver_id,event_timestamp,trips; echo "1,$LARDER_START,1"
            """
        var options = Self.options(days: 2)
        options.jobs = 2
        let report = try s.backfill(view: "daily", producer: .command(command), options: options)
        #expect(report.intervals.map(\.outcome) == [.committed(runID: 1, rows: 1), .committed(runID: 2, rows: 1)])
    }

    @Test func badOptionsAndAnotherGridAreRefused() throws {
        let s = try store()
        var uneven = Self.options(days: 2)
        uneven.to = Timestamp(microseconds: uneven.to.microseconds + 1)
        #expect(throws: LarderError.self) { try s.backfill(view: "daily", producer: Counting().producer, options: uneven) }
        var jobs = Self.options(days: 2)
        jobs.jobs = 0
        #expect(throws: LarderError.self) { try s.backfill(view: "daily", producer: Counting().producer, options: jobs) }
        _ = try s.backfill(view: "daily", producer: Counting().producer, options: Self.options(days: 2))
        var shifted = Self.options(days: 2)
        shifted.from = Timestamp(microseconds: Self.from.microseconds + Self.day / 2)
        shifted.to = Timestamp(microseconds: shifted.to.microseconds + Self.day / 2)
        #expect {
            try s.backfill(view: "daily", producer: Counting().producer, options: shifted)
        } throws: { error in
            "\(error)".contains("not on the grid of --from 2026-01-01T12:00:00Z --every 1d")
        }
        #expect(try s.runs(view: "daily").count == 2)
    }
}
