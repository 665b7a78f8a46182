import Foundation
import Larder
import Testing

/// The crash-safety suite (docs/reliability.md): for each write path, seeded
/// trials kill a child process with SIGKILL at a random moment of a write;
/// after each the store is sound, the runs committed before are intact row
/// for row, the killed write left either nothing or all of itself, and the
/// retried command succeeds.
///
/// `LARDER_CRASH_TRIALS` sets the trials per path: 20 by default, so that
/// `swift test` stays quick; docs/reliability.md gives the command of the
/// full run.
@Suite(.serialized) struct CrashSuiteTests {
    static let trials = Int(ProcessInfo.processInfo.environment["LARDER_CRASH_TRIALS"] ?? "") ?? 20
    let dir = TemporaryDirectory()

    /// How one trial ended.
    enum Outcome: String, CaseIterable {
        case killedBeforeCommit = "killed before its commit: no trace"
        case killedAfterCommit = "killed after its commit: complete"
        case finishedFirst = "finished before the kill: complete"
    }

    /// A write path under test: the command that writes, and what the store
    /// must hold once it has.
    struct WritePath {
        var name: String
        /// The child's executable and arguments for trial `k` with `rows` rows on `store`.
        var command: (_ store: String, _ k: Int, _ rows: Int) throws -> (String, [String])
        /// Whether the write of trial `k` is in `store` (throws when it is there but not whole).
        var committed: (_ store: String, _ k: Int, _ rows: Int) throws -> Bool
    }

    /// The rows of `view` (at `version`) as exported, keyed by `value`, with
    /// the run id of each: `user_id|event µs|created µs|score` → run.
    static func content(_ store: String, view: String = "events") throws -> [Int64: (row: String, run: Int64)] {
        let export = try CLI.run(["export", view, "--output", "-", "--store", store])
        guard export.status == 0 else { throw CrashSuiteError("export failed: \(export.stderr)") }
        var rows: [Int64: (String, Int64)] = [:]
        for line in export.stdout.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let value = Int64(f[4]), let run = Int64(f[3]),
                  case .success(let event) = Timestamp.parse(f[1]), case .success(let created) = Timestamp.parse(f[2])
            else { throw CrashSuiteError("unexpected export line \(line)") }
            rows[value] = ("\(f[0])|\(event)|\(created)|\(f[5])", run)
        }
        return rows
    }

    /// What run `k` of `count` rows must hold, in the form of ``content(_:view:)``.
    static func expected(run k: Int, count: Int) -> [Int64: String] {
        var rows: [Int64: String] = [:]
        for row in ReliabilityData.rows(run: k, count: count) {
            rows[row.value] = "\(row.key)|\(row.event)|\(row.created)|\(row.score)"
        }
        return rows
    }

    /// A store with the definitions and runs 0 and 1 (1,000 rows each), closed.
    func baseStore() throws -> String {
        let store = dir.file("base.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ReliabilityData.definitions), "--store", store]).status == 0)
        for k in 0..<2 {
            let input = try dir.write("base-\(k).csv", ReliabilityData.csv(run: k, count: 1_000))
            let result = try CLI.run(["backfill", "events", "--input", input, "--time-unit", "us", "--store", store])
            #expect(result.status == 0, "\(result.stderr)")
        }
        return store
    }

    /// The paths: a CLI backfill, a library write and `apply --carry-data`.
    func paths() throws -> [WritePath] {
        let writer = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("larder-test-writer").path
        let carried = try dir.write("defs-v2.yaml", ReliabilityData.definitions.trimmingCharacters(in: .newlines)
            + "\n      - {name: extra, type: int64}\n")
        /// A run of `events@1` is in `store`: all of run k, or none of it.
        func runCommitted(_ store: String, _ k: Int, _ rows: Int) throws -> Bool {
            let stored = try Self.content(store)
            let expected = Self.expected(run: k, count: rows)
            let present = stored.filter { expected[$0.key] != nil }
            if present.isEmpty { return false }
            guard present.count == expected.count, present.allSatisfy({ expected[$0.key] == $0.value.row }),
                  Set(present.map(\.value.run)).count == 1 else {
                throw CrashSuiteError("run \(k) is partial: \(present.count) of \(expected.count) rows")
            }
            return true
        }
        return [
            WritePath(name: "backfill", command: { store, k, rows in
                let input = try dir.write("run-\(k).csv", ReliabilityData.csv(run: k, count: rows))
                return (CLI.executable, ["backfill", "events", "--input", input, "--time-unit", "us", "--store", store])
            }, committed: runCommitted),
            WritePath(name: "library write", command: { store, k, rows in
                (writer, ["write", store, String(k), String(rows)])
            }, committed: runCommitted),
            WritePath(name: "apply --carry-data", command: { store, _, _ in
                (CLI.executable, ["apply", carried, "--carry-data", "--store", store])
            }, committed: { store, _, _ in
                let registry = try FeatureStore(path: store, options: .init(create: false, cacheBytes: 0)).registry
                guard let versions = registry.views["events"]?.map(\.version) else { throw CrashSuiteError("events is gone") }
                if versions == [1] { return false }
                guard versions == [1, 2] else { throw CrashSuiteError("versions \(versions)") }
                let before = try Self.content(store, view: "events@1"), after = try Self.content(store, view: "events@2")
                guard before.count == after.count, before.allSatisfy({ after[$0.key]?.row.hasPrefix($0.value.row) == true }) else {
                    throw CrashSuiteError("version 2 holds \(after.count) rows of version 1's \(before.count)")
                }
                return true
            }),
        ]
    }

    @Test func killedWritesLeaveNothingOrEverything() throws {
        let base = try baseStore()
        let baseContent = try Self.content(base)
        #expect(baseContent.count == 2_000)
        var report: [String] = []
        for (p, path) in try paths().enumerated() {
            var random = SplitMix64(seed: UInt64(p + 1) * 7_919)
            // Calibrate: how long one whole write takes here.
            let calibration = dir.file("calibrate-\(p).db")
            try FileManager.default.copyItem(atPath: base, toPath: calibration)
            let started = Date()
            let (executable, arguments) = try path.command(calibration, 2, 12_000)
            let whole = try runToEnd(executable, arguments)
            #expect(whole.status == 0, "\(path.name): \(whole.stderr)")
            // The kill lands within 1.3 times a whole write's duration, an estimate kept current
            // with every whole write timed below (load on the machine changes it).
            var duration = Date().timeIntervalSince(started)
            var outcomes: [Outcome: Int] = [:]
            for trial in 0..<Self.trials {
                let k = 2 + trial
                let rows = 4_000 + Int(random.next() % 12_000)
                let store = dir.file("trial.db")
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
                try FileManager.default.copyItem(atPath: base, toPath: store)
                let (executable, arguments) = try path.command(store, k, rows)
                let (delay, wasRunning) = try Self.runAndKill(executable, arguments, within: duration, random: &random)
                let context = "\(path.name) trial \(trial) (seeded, kill at \(Int(delay * 1000)) ms)"
                let reopened = try FeatureStore(path: store, options: .init(create: false, cacheBytes: 0))
                #expect(try reopened.integrityCheck() == "ok", "\(context)")
                let runsBefore = try Self.content(store).filter { baseContent[$0.key] != nil }
                #expect(runsBefore.count == 2_000 && runsBefore.allSatisfy { baseContent[$0.key]?.row == $0.value.row },
                        "\(context): the runs committed before changed")
                let committed = try path.committed(store, k, rows)
                let outcome: Outcome = !wasRunning ? .finishedFirst : committed ? .killedAfterCommit : .killedBeforeCommit
                outcomes[outcome, default: 0] += 1
                if outcome == .finishedFirst { duration *= 0.8 }
                if !committed {
                    #expect(wasRunning, "\(context): the write finished but is not in the store")
                    let retryStarted = Date()
                    let retry = try runToEnd(executable, arguments)
                    duration = 0.7 * duration + 0.3 * Date().timeIntervalSince(retryStarted)
                    #expect(retry.status == 0, "\(context): the retry failed: \(retry.stderr)")
                    #expect(try path.committed(store, k, rows), "\(context): the retry is not in the store")
                }
            }
            let line = "crash suite, \(path.name): \(Self.trials) trials; "
                + Outcome.allCases.map { "\(outcomes[$0] ?? 0) \($0.rawValue)" }.joined(separator: "; ")
            report.append(line)
            #expect((outcomes[.killedBeforeCommit] ?? 0) >= Self.trials / 5, "\(line): too few kills landed mid-write")
        }
        print(report.joined(separator: "\n"))
    }

    /// Group commit: a child writes small runs from 8 threads at once, so
    /// that several share each transaction, printing each run as its write
    /// returns; killed at a random moment, every run it acknowledged is in
    /// the store, whole, and every run in the store is whole.
    @Test func killedGroupCommitsLoseNoAcknowledgedWrite() throws {
        let base = try baseStore()
        let writer = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("larder-test-writer").path
        var random = SplitMix64(seed: 7_717)
        var acknowledgedInAll = 0
        for trial in 0..<max(Self.trials / 4, 3) {
            let store = dir.file("group.db")
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: store + suffix) }
            try FileManager.default.copyItem(atPath: base, toPath: store)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: writer)
            process.arguments = ["group", store, "2", "20", "30", "8"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let delay = 0.3 + Double(random.next() % 1_000) / 1_000
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let acknowledged = printed.split(separator: "\n").compactMap { line in line.split(separator: " ").first.flatMap { Int($0) } }
            acknowledgedInAll += acknowledged.count
            let context = "group commit trial \(trial) (seeded, kill at \(Int(delay * 1000)) ms, \(acknowledged.count) acknowledged)"
            let reopened = try FeatureStore(path: store, options: .init(create: false, cacheBytes: 0))
            #expect(try reopened.integrityCheck() == "ok", "\(context)")
            // Every stored row of the child's runs, by run k (its value is k * 1,000,000 + i).
            var byRun: [Int: [Int64: (row: String, run: Int64)]] = [:]
            for (value, stored) in try Self.content(store) where value >= 2_000_000 { byRun[Int(value / 1_000_000), default: [:]][value] = stored }
            for k in acknowledged { #expect(byRun[k] != nil, "\(context): acknowledged run \(k) is not in the store") }
            for (k, stored) in byRun {
                let expected = Self.expected(run: k, count: 20)
                #expect(stored.count == expected.count && stored.allSatisfy { expected[$0.key] == $0.value.row }
                        && Set(stored.values.map(\.run)).count == 1, "\(context): run \(k) is partial: \(stored.count) of 20 rows")
            }
        }
        #expect(acknowledgedInAll > 0, "the child acknowledged no write before its kill")
    }

    /// The snapshot write path: `larder online` reads a view with no snapshot
    /// file, so it writes one; killed at a random moment, it leaves at most
    /// an unfinished temporary file, never a snapshot that changes an answer.
    @Test func killedSnapshotWritesNeverChangeAnAnswer() throws {
        let store = dir.file("snap.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ReliabilityData.definitions), "--store", store]).status == 0)
        let input = try dir.write("big.csv", ReliabilityData.csv(run: 1, count: 150_000))
        #expect(try CLI.run(["backfill", "events", "--input", input, "--time-unit", "us", "--store", store]).status == 0)
        let keys = (0..<ReliabilityData.keys).filter { $0 % 50 == 0 }.map { "user_id=\($0)" }
        let online = ["online", "--features", "events:value,events:score", "--format", "json", "--store", store] + keys.flatMap { ["--entity", $0] }
        let truth = try CLI.run(online + ["--cache-mb", "0"])
        #expect(truth.status == 0, "\(truth.stderr)")
        var random = SplitMix64(seed: 4_242)
        let started = Date()
        #expect(try CLI.run(online).stdout == truth.stdout)
        let duration = Date().timeIntervalSince(started)
        var outcomes: [String: Int] = [:]
        for trial in 0..<Self.trials {
            try? FileManager.default.removeItem(atPath: store + ".cache")
            let (delay, wasRunning) = try Self.runAndKill(CLI.executable, online, within: duration, random: &random)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: store + ".cache")) ?? []
            let context = "snapshot trial \(trial) (seeded, kill at \(Int(delay * 1000)) ms): \(files)"
            outcomes[!wasRunning ? "finished first" : files.contains { $0.hasSuffix(".snap") } ? "killed after the rename" : "killed before the rename", default: 0] += 1
            // Whatever was left, the next process answers as SQLite does.
            let after = try CLI.run(online)
            #expect(after.status == 0 && after.stdout == truth.stdout, "\(context)")
            let verify = try CLI.run(["cache", "verify", "--store", store])
            let bad = verify.stdout.split(separator: "\n").filter { $0.hasPrefix("bad") && !$0.hasSuffix("an unfinished write") }
            #expect(bad.isEmpty, "\(context): \(verify.stdout)")
        }
        print("crash suite, snapshot files: \(Self.trials) trials; " + outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "; "))
        #expect((outcomes["killed before the rename"] ?? 0) + (outcomes["killed after the rename"] ?? 0) >= Self.trials / 4)
    }

    /// Starts `executable arguments` (output discarded) and kills it with
    /// SIGKILL after a seeded random delay of 0 to 1.3 times `duration`.
    ///
    /// - Returns: the delay, and whether the process was still running then.
    static func runAndKill(_ executable: String, _ arguments: [String], within duration: TimeInterval,
                           random: inout SplitMix64) throws -> (delay: TimeInterval, wasRunning: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let delay = Double(random.next() % 1_000) / 1_000 * duration * 1.3
        Thread.sleep(forTimeInterval: delay)
        let wasRunning = process.isRunning
        if wasRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (delay, wasRunning)
    }

    /// Runs `executable arguments` to the end.
    func runToEnd(_ executable: String, _ arguments: [String]) throws -> CLIResult {
        if executable == CLI.executable { return try CLI.run(arguments) }
        let (status, stderr) = try LarderTestSupport.runToEnd(executable, arguments)
        return CLIResult(status: status, stdout: "", stderr: stderr)
    }
}

/// A failed check inside the suite's helpers.
struct CrashSuiteError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
