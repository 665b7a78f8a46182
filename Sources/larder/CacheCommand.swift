import ArgumentParser
import Larder

/// `larder cache verify|clear`: the snapshot files beside the store.
struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Check or remove the cache's snapshot files (STORE.cache/).",
        subcommands: [Verify.self, Clear.self])

    /// `larder cache verify`: checks every snapshot file completely.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
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
            abstract: "Remove the snapshot files; the next process to read a view reads it from the store and writes its snapshot again.")

        @OptionGroup var options: StoreOptions

        func run() throws {
            let removed = try options.open().removeSnapshotFiles()
            print("removed \(removed) files")
        }
    }
}
