import ArgumentParser
import Larder

/// `larder runs VIEW`: the ingest runs of a view, newest first.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List the ingest runs of a feature view, newest first.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "The feature view.")
    var view: String

    @Option(help: "Output format: text or json.")
    var format: ListFormat = .text

    func run() throws {
        let runs = try options.open().runs(view: view)
        switch format {
        case .json:
            print(runs.json())
        case .text:
            if runs.isEmpty { print("no runs for \(view) yet (write some with `larder backfill \(view) --input FILE`)") }
            for r in runs {
                print("run \(r.id)  \(view)@\(r.version)  \(r.rows) rows, \(r.rejected) rejected  committed \(r.committedAt)  sha256 \(r.contentSHA256.prefix(16))…  \(r.source)")
            }
        }
    }
}
