import Foundation
import Larder
import Testing

/// Stores that are not what they should be — no file, a folder, an empty or
/// foreign file, a damaged or read-only one, a full disk — each give a clear
/// error naming the path and the cause, exit 2, and lose nothing committed.
@Suite struct MisuseCLITests {
    let dir = TemporaryDirectory()

    /// A store at `name` with the example definitions and one run of two rows.
    func makeStore(_ name: String) throws -> String {
        let store = dir.file(name)
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", exampleDefinitions), "--store", store]).status == 0)
        let data = try dir.write("data.csv", """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            1001,2026-11-20T10:00:00Z,0.5,0.9,10,oslo
            1002,2026-11-20T10:00:00Z,0.25,0.8,20,paris

            """)
        #expect(try CLI.run(["backfill", "driver_stats", "--input", data, "--store", store]).status == 0)
        return store
    }

    /// `larder arguments` run as an unprivileged user when the tests run as
    /// root (who ignores file permissions), so that read-only files and
    /// folders are read-only to it.
    func runUnprivileged(_ arguments: [String]) throws -> CLIResult {
        guard getuid() == 0 else { return try CLI.run(arguments) }
        chmod(dir.path, 0o755)
        let result = try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", CLI.executable] + arguments)
        return result
    }

    /// Runs `executable arguments` and collects its output.
    func runProcess(_ executable: String, _ arguments: [String]) throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test func pathsThatAreNoStoreAreNamedWithTheirCause() throws {
        let store = try makeStore("good.db")
        try FileManager.default.createDirectory(atPath: dir.file("folder.db"), withIntermediateDirectories: false)
        try dir.write("empty.db", "")
        try dir.write("text.db", "not a database\n")
        let good = try Data(contentsOf: URL(fileURLWithPath: store))
        try good.prefix(20_000).write(to: URL(fileURLWithPath: dir.file("truncated.db")))
        var damaged = good
        for i in stride(from: 16_384, to: damaged.count, by: 97) { damaged[i] = 0xA5 }
        try damaged.write(to: URL(fileURLWithPath: dir.file("damaged.db")))
        let cases: [(String, Int32, String)] = [
            ("", 1, "the store path is empty"),
            (dir.file("missing.db"), 2, "missing.db: no store here"),
            (dir.file("folder.db"), 2, "folder.db: is a directory, not a store file"),
            (dir.file("empty.db"), 2, "empty.db: is an empty file, not a Larder store"),
            (dir.file("text.db"), 2, "text.db: is not a Larder store (not an SQLite database)"),
            (dir.file("truncated.db"), 2, "truncated.db: the store is damaged"),
            (dir.file("damaged.db"), 2, "damaged.db: the store is damaged"),
        ]
        for (path, status, message) in cases {
            for command in [["list"], ["runs", "driver_stats"], ["online", "--features", "driver_stats:conv_rate", "--entity", "driver_id=1001"]] {
                let result = try CLI.run(command + ["--store", path])
                #expect(result.status == status, "\(command) \(path): \(result.stderr)")
                #expect(result.stderr.contains(message), "\(command) \(path): \(result.stderr)")
            }
        }
        // Reading an empty file as a store wrote nothing into it.
        #expect(try FileManager.default.attributesOfItem(atPath: dir.file("empty.db"))[.size] as? Int == 0)
    }

    @Test func anSQLiteFileThatIsNotAStoreIsLeftAlone() throws {
        let other = dir.file("other.db")
        let created = try runProcess("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(other)'); c.execute('create table t(x)'); c.commit()"])
        #expect(created.status == 0, "\(created.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        _ = try dir.write("defs.yaml", exampleDefinitions)
        // Commands that make a store when there is none do not make one inside someone else's database.
        for command in [["list"], ["init"], ["apply", dir.file("defs.yaml")]] {
            let result = try CLI.run(command + ["--store", other])
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("other.db: is an SQLite database, but not a Larder store"), "\(command): \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before, "\(command) changed the file")
        }
        // An SQLite database with nothing in it yet becomes a store.
        let blank = dir.file("blank.db")
        let made = try runProcess("/usr/bin/env", ["python3", "-c", "import sqlite3; c = sqlite3.connect('\(blank)'); c.execute('pragma user_version = 7'); c.commit()"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: blank)[.size] as? Int ?? 0 > 0)
        let initialized = try CLI.run(["init", "--store", blank])
        #expect(initialized.status == 0, "\(initialized.stderr)")
        #expect(try CLI.run(["list", "--store", blank]).status == 0)
    }

    @Test func readOnlyStoresAndFoldersCanBeRead() throws {
        for (name, fileMode, folderMode) in [("file", 0o444, 0o777), ("folder", 0o666, 0o555), ("both", 0o444, 0o555)] as [(String, mode_t, mode_t)] {
            let folder = dir.file(name)
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
            let store = try makeStore("\(name)/larder.db")
            chmod(store, fileMode)
            chmod(folder, folderMode)
            defer { chmod(folder, 0o755) }
            let online = try runUnprivileged(["historical", "--at", "2026-11-21T00:00:00Z", "--features", "driver_stats:conv_rate",
                                              "--output", "-", "--store", store])
            #expect(online.status == 0, "\(name): \(online.stderr)")
            #expect(online.stdout.contains("1001,2026-11-21T00:00:00.000000Z,0.5"), "\(name): \(online.stdout)")
            let list = try runUnprivileged(["runs", "driver_stats", "--store", store])
            #expect(list.status == 0 && list.stdout.contains("2 rows"), "\(name): \(list.stdout)\(list.stderr)")
            let write = try runUnprivileged(["backfill", "driver_stats", "--input", dir.file("data.csv"), "--store", store])
            #expect(write.status == 2, "\(name): \(write.stderr)")
            #expect(write.stderr.contains("\(store): ") && write.stderr.contains("read-only"), "\(name): \(write.stderr)")
            chmod(folder, 0o755)
            chmod(store, 0o644)
            #expect(try FeatureStore(path: store, options: .init(create: false)).runs(view: "driver_stats").count == 1)
        }
    }

    @Test func aFullDiskLosesNothingCommitted() throws {
        let store = try makeStore("larder.db")
        var rows = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        for i in 0..<100_000 { rows.append("\(i),2026-11-21T10:00:00Z,0.5,0.5,\(i),oslo") }
        let big = try dir.write("big.csv", rows.joined(separator: "\n") + "\n")
        // A file-size limit makes the store's writes fail as on a full disk.
        let limited = try runProcess("/bin/sh", ["-c", "ulimit -f 2000; exec \"$0\" \"$@\"", CLI.executable,
                                                 "backfill", "driver_stats", "--input", big, "--store", store])
        #expect(limited.status == 2, "\(limited.stderr)")
        #expect(limited.stderr.contains("\(store): ") && limited.stderr.contains("nothing of this write was kept"), "\(limited.stderr)")
        let after = try FeatureStore(path: store, options: .init(create: false))
        #expect(try after.integrityCheck() == "ok")
        #expect(try after.runs(view: "driver_stats").count == 1)
        #expect(try after.rowCount(view: "driver_stats") == 2)
        let retried = try CLI.run(["backfill", "driver_stats", "--input", big, "--store", store])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(try after.rowCount(view: "driver_stats") == 100_002)
    }
}
