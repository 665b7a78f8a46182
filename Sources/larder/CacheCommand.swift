import ArgumentParser
import Larder

/// `larder cache build|verify|clear`: the snapshot files beside the store.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Write, check or remove the cache's snapshot files (STORE.cache/).",
        subcommands: [Build.self, Verify.self, Clear.self])

    // Every command names itself: ArgumentParser derives a missing name from the type with
    // `String(describing:)` for every command of the tree at every start, and each such call
    // scans every protocol conformance in the executable (`larder list` warm: 15.3 → 13.3 ms).

    /// `larder cache build [VIEW...]`: loads views into the cache now, writing their snapshot files.
    struct Build: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "build",
            abstract: "Read views into the cache now and write their snapshot files, so that the next reader maps them instead of reading the store (run it after a large backfill).")

        @OptionGroup var options: StoreOptions

        @Option(help: "Cache budget in MB (default: a quarter of RAM).")
        var cacheMb: Int?

        @Argument(help: "Views whose latest versions to read (default: every view).")
        var views: [String] = []

        func run() throws {
            let store = try options.open(cacheMegabytes: cacheMb)
            for load in try store.loadCache(views: views) {
                guard let entry = load.entry else {
                    print("\(load.view)\tnot cached: larger than the cache budget (--cache-mb); answered from the store")
                    continue
                }
                let kept = entry.mapped ? "snapshot file" : "in memory only (no snapshot file could be written; --verbose says why)"
                print("\(load.view)@\(load.version)\t\(entry.rows) rows\t\(kept)")
            }
        }
    }

    /// `larder cache verify`: checks every snapshot file completely.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Check every snapshot file: header, view version, runs and every array's checksum. Exit 2 when one is damaged or stale.")

        @OptionGroup var options: StoreOptions

        func run() throws {
            let store = try options.open()
            let checks = try store.verifySnapshotFiles()
            for check in checks { print("\(check.problem == nil ? "ok" : "bad")\t\(check.path)\(check.problem.map { "\t\($0)" } ?? "")") }
            let bad = checks.filter { $0.problem != nil }.count
            print("\(checks.count) files, \(bad) bad" + (bad > 0 ? " (never used for answers; `larder cache clear` removes them)" : ""))
            if bad > 0 { throw ExitCode(2) }
        }
    }

    /// `larder cache clear`: removes the snapshot files.
    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "clear",
            abstract: "Remove the snapshot files; the next process to read a view reads it from the store and writes its snapshot again.")

        @OptionGroup var options: StoreOptions

        func run() throws {
            let removed = try options.open().removeSnapshotFiles()
            print("removed \(removed) files")
        }
    }
}
