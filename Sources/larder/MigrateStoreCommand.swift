import ArgumentParser
import Larder
import LarderPostgres

/// `larder migrate-store`: copies a SQLite store into an empty PostgreSQL database.
struct MigrateStoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Copy a SQLite store (registry, runs, rows) into an empty PostgreSQL database, verified by counts and checksums.",
        discussion: "All in one PostgreSQL transaction: on any failure the target keeps nothing. A target that holds a store's data is refused. See docs/scale-out.md.")

    @Option(help: "The SQLite store file to copy.")
    var from: String

    @Option(help: "The target: postgres://USER@HOST[:PORT]/DATABASE (the password in $PGPASSWORD).")
    var to: String

    func run() throws {
        let report = try FeatureStore.migrateStore(from: from, to: to)
        for table in report.tables {
            print("\(table.name)\t\(table.rows) rows\tsha256 \(table.checksum)")
        }
        print("copied \(report.tables.count) tables, \(report.tables.reduce(0) { $0 + $1.rows }) rows; counts and checksums equal on both sides")
    }
}
