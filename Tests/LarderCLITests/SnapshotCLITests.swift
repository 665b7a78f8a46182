import Foundation
import Testing
import LarderTestSupport

/// The cache's snapshot files seen from the command line: written by the
/// first process that reads a view, mapped by the next, checked and removed
/// with `larder cache`, and reads that do not wait for another process's
/// backfill.
@Suite struct SnapshotCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("snap.db") }

    func makeStore(rows: Int) throws {
        let defs = try dir.write("defs.yaml", ReliabilityData.definitions)
        #expect(try CLI.run(["init", "--store", store]).status == 0)
        #expect(try CLI.run(["apply", defs, "--store", store]).status == 0)
        let input = try dir.write("run1.csv", ReliabilityData.csv(run: 1, count: rows))
        let backfill = try CLI.run(["backfill", "events", "--input", input, "--time-unit", "us", "--store", store])
        #expect(backfill.status == 0, "\(backfill.stderr)")
    }

    /// `larder online` for one key, as JSON.
    func online(_ key: Int, verbose: Bool = false) throws -> CLIResult {
        try CLI.run(["online", "--features", "events:value", "--entity", "user_id=\(key)", "--format", "json", "--store", store]
                    + (verbose ? ["--verbose"] : []))
    }

    @Test func theFirstReaderWritesASnapshotTheNextMapsItAndCacheVerifyChecksIt() throws {
        try makeStore(rows: 2_000)
        let first = try online(1, verbose: true)
        #expect(first.status == 0 && first.stderr.contains("larder: snapshot of events@1 written") && !first.stderr.contains("error"), "\(first.stderr)")
        let second = try online(1, verbose: true)
        #expect(second.status == 0 && second.stdout == first.stdout && !second.stderr.contains("written"), "\(second.stderr)")
        let verify = try CLI.run(["cache", "verify", "--store", store])
        #expect(verify.status == 0 && verify.stdout.contains("ok\t\(store).cache/events@1-1.snap") && verify.stdout.contains("1 files, 0 bad"))

        // Damage inside an array: not read on open, found by verify (exit 2).
        let file = store + ".cache/events@1-1.snap"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count - 9] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let damaged = try CLI.run(["cache", "verify", "--store", store])
        #expect(damaged.status == 2 && damaged.stdout.contains("bad\t\(file)\tarray") && damaged.stdout.contains("1 files, 1 bad"), "\(damaged.stdout)")
        let clear = try CLI.run(["cache", "clear", "--store", store])
        #expect(clear.status == 0 && clear.stdout.contains("removed 1 files"))
        #expect(!FileManager.default.fileExists(atPath: store + ".cache"))
        let rebuilt = try online(1, verbose: true)
        #expect(rebuilt.stdout == first.stdout && rebuilt.stderr.contains("written"))
    }

    /// `larder cache build` after a backfill writes the snapshot file, so
    /// that the first reader maps it instead of reading the store; over
    /// the budget it writes nothing and says so; an unknown view is an error.
    @Test func cacheBuildWritesTheSnapshotBeforeTheFirstReader() throws {
        try makeStore(rows: 2_000)
        let build = try CLI.run(["cache", "build", "--store", store, "--verbose"])
        #expect(build.status == 0 && build.stdout == "events@1\t2000 rows\tsnapshot file\n" && build.stderr.contains("snapshot of events@1 written"),
                "\(build.stdout)\(build.stderr)")
        #expect(FileManager.default.fileExists(atPath: store + ".cache/events@1-1.snap"))
        let reader = try online(1, verbose: true)
        #expect(reader.status == 0 && !reader.stderr.contains("written"), "the first reader mapped the file: \(reader.stderr)")
        let again = try CLI.run(["cache", "build", "events", "--store", store, "--verbose"])
        #expect(again.status == 0 && again.stdout == build.stdout && !again.stderr.contains("written"), "\(again.stderr)")

        let clear = try CLI.run(["cache", "clear", "--store", store])
        #expect(clear.status == 0)
        let overBudget = try CLI.run(["cache", "build", "--store", store, "--cache-mb", "0"])
        #expect(overBudget.status == 0 && overBudget.stdout.contains("events\tnot cached"), "\(overBudget.stdout)")
        #expect(!FileManager.default.fileExists(atPath: store + ".cache/events@1-1.snap"))
        let unknown = try CLI.run(["cache", "build", "nope", "--store", store])
        #expect(unknown.status == 1 && unknown.stderr.contains("no feature view named \"nope\""), "\(unknown.stderr)")
    }

    @Test func aReadDuringAnotherProcesssBackfillReturnsAtOnceWithTheOldAnswer() throws {
        try makeStore(rows: 2_000)
        let before = try online(1)
        #expect(before.status == 0)
        // A long run in another process: it holds the write lock until it commits.
        let input = try dir.write("run2.csv", ReliabilityData.csv(run: 2, count: 600_000))
        let backfill = CLI.start(["backfill", "events", "--input", input, "--time-unit", "us", "--store", store])
        backfill.standardOutput = FileHandle.nullDevice
        try backfill.run()
        // Its write transaction begins before its first row and lasts until
        // it exits; give it a moment to open the store.
        usleep(800_000)
        var readsWhileWriting = 0
        while backfill.isRunning, readsWhileWriting < 3 {
            let during = try online(1)
            if backfill.isRunning {
                // Answered while the other process still held its write transaction.
                #expect(during.status == 0 && during.stdout == before.stdout, "\(during.stderr)")
                readsWhileWriting += 1
            }
        }
        backfill.waitUntilExit()
        #expect(backfill.terminationStatus == 0)
        #expect(readsWhileWriting > 0, "the backfill finished before a read could overlap it")
        let after = try online(1)
        #expect(after.status == 0 && after.stdout != before.stdout, "the committed run is seen")
    }
}
