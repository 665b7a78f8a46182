import Foundation
import Larder
import Testing

/// The concurrency suite (docs/reliability.md): one process writes runs
/// continuously while four reader threads in this process and two other
/// processes (the CLI) query the store for a bounded time. No error may
/// surface; every historical answer equals the brute-force oracle over the
/// runs committed at its horizon; online answers see every run committed
/// before the read began, none that committed after it ended, and never go
/// back in time.
///
/// `LARDER_CONCURRENCY_SECONDS` sets how long the writer runs (default 12).
@Suite(.serialized) struct ConcurrencySuiteTests {
    static let seconds = Double(ProcessInfo.processInfo.environment["LARDER_CONCURRENCY_SECONDS"] ?? "") ?? 12
    /// Rows per run of the writer.
    static let runRows = 300
    let dir = TemporaryDirectory()

    /// A historical read: spine rows, the horizon, and the `value` answered per row.
    struct HistoricalRead {
        var keys: [Int64]
        var times: [Int64]
        var asOf: Int64
        var values: [Int64?]
    }

    /// An online read of one key: when it began and ended, and the `value` answered.
    struct OnlineRead {
        var key: Int64
        var began: Int64
        var ended: Int64
        var value: Int64?
    }

    /// What one reader saw, in the order it saw it.
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var historical: [HistoricalRead] = []
        private(set) var online: [[OnlineRead]] = []
        private(set) var errors: [String] = []
        func add(_ read: HistoricalRead) { lock.withLock { historical.append(read) } }
        func add(_ reads: [OnlineRead]) { lock.withLock { online.append(reads) } }
        func fail(_ error: String) { lock.withLock { errors.append(error) } }
    }

    @Test func readersSeeExactlyTheCommittedRuns() throws {
        let store = dir.file("concurrent.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ReliabilityData.definitions), "--store", store]).status == 0)
        let base = try dir.write("run-0.csv", ReliabilityData.csv(run: 0, count: 1_000))
        #expect(try CLI.run(["backfill", "events", "--input", base, "--time-unit", "us", "--store", store]).status == 0)
        let started = Timestamp.nowMicroseconds()

        // The writer: runs 1, 2, … through the library, in another process.
        let writerPath = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("larder-test-writer").path
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: writerPath)
        writer.arguments = ["loop", store, "1", String(Self.runRows), String(Self.seconds)]
        let writerOut = Pipe(), writerErr = Pipe()
        writer.standardOutput = writerOut
        writer.standardError = writerErr
        try writer.run()

        let reading = FeatureStore.Options(create: false)
        let inProcess = try FeatureStore(path: store, options: reading)
        let deadline = Date().addingTimeInterval(Self.seconds - 1)
        let logs = (0..<6).map { _ in Log() }
        var threads: [Thread] = []
        for t in 0..<4 {
            threads.append(Thread { Self.readInProcess(inProcess, seed: UInt64(t + 1), started: started, until: deadline, log: logs[t]) })
        }
        for t in 4..<6 {
            let spine = dir.file("spine-\(t).csv")
            threads.append(Thread { Self.readWithCLI(store: store, spine: spine, seed: UInt64(t + 1), started: started, until: deadline, log: logs[t]) })
        }
        for thread in threads { thread.start() }
        let writerLog = writerOut.fileHandleForReading.readDataToEndOfFile()
        let writerErrors = String(decoding: writerErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        writer.waitUntilExit()
        while threads.contains(where: { !$0.isFinished }) { Thread.sleep(forTimeInterval: 0.05) }
        #expect(writer.terminationStatus == 0, "the writer failed: \(writerErrors)")

        // Which run holds what: run id → k, and the commit time of each.
        var runOfID: [Int64: Int] = [1: 0]
        for line in String(decoding: writerLog, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: " ")
            runOfID[Int64(parts[1])!] = Int(parts[0])!
        }
        let runs = try inProcess.runs(view: "events").sorted { $0.id < $1.id }
        #expect(runs.count == runOfID.count && runs.count > 20, "\(runs.count) runs committed, the writer logged \(runOfID.count)")
        let committedAt = runs.map(\.committedAt.microseconds)
        let rowsOfRun = runs.map { run in ReliabilityData.rows(run: runOfID[run.id]!, count: run.id == 1 ? 1_000 : Self.runRows) }

        // Per key, the online answer after each prefix of runs: the runs at which it changes.
        var changes: [Int64: [(prefix: Int, value: Int64)]] = [:]
        var best: [Int64: (event: Int64, created: Int64, run: Int, value: Int64)] = [:]
        for (r, rows) in rowsOfRun.enumerated() {
            for row in rows {
                if let b = best[row.key], (b.event, b.created, b.run) >= (row.event, row.created, r) { continue }
                best[row.key] = (row.event, row.created, r, row.value)
                changes[row.key, default: []].append((r + 1, row.value))
            }
        }
        /// The prefixes (number of runs seen) at which `key` answers `value`.
        func prefixes(key: Int64, value: Int64?) -> ClosedRange<Int>? {
            let list = changes[key] ?? []
            guard let value else { return list.isEmpty ? 0...runs.count : 0...(list[0].prefix - 1) }
            guard let i = list.lastIndex(where: { $0.value == value }) else { return nil }
            return list[i].prefix...(i + 1 < list.count ? list[i + 1].prefix - 1 : runs.count)
        }

        // Every row, by key, with the number of its run (1-based, in commit order).
        var rowsByKey: [Int64: [(row: ReliabilityData.Row, run: Int64)]] = [:]
        for (r, rows) in rowsOfRun.enumerated() {
            for row in rows { rowsByKey[row.key, default: []].append((row, Int64(r + 1))) }
        }

        var historicalReads = 0, onlineReads = 0
        for (t, log) in logs.enumerated() {
            #expect(log.errors.isEmpty, "reader \(t): \(log.errors.prefix(3))")
            for read in log.historical {
                let visible = Int64(committedAt.prefix { $0 <= read.asOf }.count)
                let expected = zip(read.keys, read.times).map { key, time in
                    ReliabilityData.oracle((rowsByKey[key] ?? []).filter { $0.run <= visible }, key: key, time: time)?.value
                }
                #expect(read.values == expected, "reader \(t): historical as of \(Timestamp.format(read.asOf)) over \(visible) runs")
                historicalReads += 1
            }
            for sequence in log.online {
                var seen = 0 // runs seen by the previous read of this reader
                for read in sequence {
                    onlineReads += 1
                    guard let range = prefixes(key: read.key, value: read.value) else {
                        Issue.record("reader \(t): online value \(String(describing: read.value)) for key \(read.key) was never the answer")
                        continue
                    }
                    // Every run committed 1 s before the read began is visible (other processes: within 1 s); none committed after it ended.
                    let mustSee = committedAt.prefix { $0 < read.began - 1_000_000 }.count
                    let maySee = committedAt.prefix { $0 <= read.ended }.count
                    let low = max(seen, mustSee, range.lowerBound)
                    #expect(low <= min(maySee, range.upperBound),
                            "reader \(t): key \(read.key) answered as after runs \(range), must see \(mustSee), may see \(maySee), saw \(seen) before")
                    seen = low
                }
            }
        }
        print("concurrency suite: \(runs.count - 1) runs written in \(Self.seconds) s; \(historicalReads) historical and \(onlineReads) online answers checked, from 4 threads and 2 CLI processes")
        #expect(historicalReads > 40 && onlineReads > 40)
    }

    /// A reader thread: random historical reads (horizon at least 1.5 s in the
    /// past, so every run committed by then has finished committing) and
    /// online reads of a few keys, until `deadline`.
    static func readInProcess(_ store: FeatureStore, seed: UInt64, started: Int64, until deadline: Date, log: Log) {
        var random = SplitMix64(seed: seed)
        var online: [OnlineRead] = []
        while Date() < deadline {
            do {
                if random.next() % 2 == 0 {
                    let (keys, times) = spine(&random, rows: 20)
                    let asOf = max(started, Timestamp.nowMicroseconds() - 1_500_000 - Int64(random.next() % 3_000_000))
                    var keyColumn = Column(type: .int64), timeColumn = Column(type: .timestamp)
                    for (key, time) in zip(keys, times) {
                        keyColumn.append(key)
                        timeColumn.append(time)
                    }
                    let frame = try store.historicalFeatures(
                        spine: FeatureFrame(names: ["user_id", "event_timestamp"], columns: [keyColumn, timeColumn]),
                        features: [FeatureReference(view: "events", feature: "value")], asOf: Timestamp(microseconds: asOf))
                    let values = frame["value"]!
                    log.add(HistoricalRead(keys: keys, times: times, asOf: asOf,
                                           values: (0..<values.count).map { values.isValid($0) ? values.ints[$0] : nil }))
                } else {
                    let key = Int64(random.next() % UInt64(ReliabilityData.keys))
                    var keys = Column(type: .int64)
                    keys.append(key)
                    let began = Timestamp.nowMicroseconds()
                    let answer = try store.onlineFeatures(entities: FeatureFrame(names: ["user_id"], columns: [keys]),
                                                          features: [FeatureReference(view: "events", feature: "value")])
                    let ended = Timestamp.nowMicroseconds()
                    let value = answer.values[0]
                    online.append(OnlineRead(key: key, began: began, ended: ended, value: value.isValid(0) ? value.ints[0] : nil))
                }
            } catch {
                log.fail("\(error)")
            }
        }
        log.add(online)
    }

    /// A reader process loop: `larder historical` (horizon in the past) and
    /// `larder online` by turns, until `deadline`.
    static func readWithCLI(store: String, spine path: String, seed: UInt64, started: Int64, until deadline: Date, log: Log) {
        var random = SplitMix64(seed: seed)
        var online: [OnlineRead] = []
        while Date() < deadline {
            do {
                if random.next() % 2 == 0 {
                    let (keys, times) = spine(&random, rows: 20)
                    let text = "user_id,event_timestamp\n" + zip(keys, times).map { "\($0),\(Timestamp.format($1))" }.joined(separator: "\n") + "\n"
                    try text.write(toFile: path, atomically: true, encoding: .utf8)
                    let asOf = max(started, Timestamp.nowMicroseconds() - 1_500_000 - Int64(random.next() % 3_000_000))
                    let result = try CLI.run(["historical", "--spine", path, "--features", "events:value", "--as-of", Timestamp.format(asOf),
                                              "--output", "-", "--store", store])
                    guard result.status == 0 else { log.fail("larder historical: \(result.stderr)"); continue }
                    let values = result.stdout.split(separator: "\n").dropFirst().map { line in Int64(line.split(separator: ",", omittingEmptySubsequences: false)[2]) }
                    log.add(HistoricalRead(keys: keys, times: times, asOf: asOf, values: values))
                } else {
                    let key = Int64(random.next() % UInt64(ReliabilityData.keys))
                    let began = Timestamp.nowMicroseconds()
                    let result = try CLI.run(["online", "--features", "events:value", "--entity", "user_id=\(key)", "--format", "csv", "--store", store])
                    let ended = Timestamp.nowMicroseconds()
                    guard result.status == 0 else { log.fail("larder online: \(result.stderr)"); continue }
                    let line = result.stdout.split(separator: "\n")[1]
                    online.append(OnlineRead(key: key, began: began, ended: ended,
                                             value: Int64(line.split(separator: ",", omittingEmptySubsequences: false)[1])))
                }
            } catch {
                log.fail("\(error)")
            }
        }
        log.add(online)
    }

    /// `rows` random spine rows: keys, and times within the data's span.
    static func spine(_ random: inout SplitMix64, rows: Int) -> ([Int64], [Int64]) {
        var keys: [Int64] = [], times: [Int64] = []
        for _ in 0..<rows {
            keys.append(Int64(random.next() % UInt64(ReliabilityData.keys)))
            times.append(ReliabilityData.baseTime + Int64(random.next() % (20_000 * 60)) * 1_000_000)
        }
        return (keys, times)
    }

    @Test func aWriterThatWaitsTooLongIsToldWhy() throws {
        let store = dir.file("busy.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ReliabilityData.definitions), "--store", store]).status == 0)
        let holder = try FeatureStore(path: store, options: .init(create: false))
        let waiting = try FeatureStore(path: store, options: .init(create: false, busyTimeoutMilliseconds: 200))
        let input = try dir.write("run.csv", ReliabilityData.csv(run: 0, count: 10))
        // A long write holds the store's write lock: a backfill reading a pipe that stays open.
        let lock = Pipe()
        let blocked = Thread {
            _ = try? holder.backfill(view: "events", input: .file("/dev/fd/\(lock.fileHandleForReading.fileDescriptor)"),
                                     options: { var o = IngestOptions(); o.timeUnit = .us; return o }())
        }
        lock.fileHandleForWriting.write(Data("user_id,event_timestamp,created_timestamp,value,score\n".utf8))
        blocked.start()
        Thread.sleep(forTimeInterval: 0.3)
        var options = IngestOptions()
        options.timeUnit = .us
        let error = #expect(throws: LarderError.self) { try waiting.backfill(view: "events", input: .file(input), options: options) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("another run is being written to this store"), "\(String(describing: error))")
        #expect(error?.category == .storage)
        try lock.fileHandleForWriting.close()
        while !blocked.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    }
}
