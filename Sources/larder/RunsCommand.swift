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
            print(JSONValue.array(runs.map { r in
                .object(["id": .int(Int(r.id)), "version": .int(r.version), "rows": .int(r.rows), "rejected": .int(r.rejected),
                         "content_sha256": .string(r.contentSHA256), "source": .string(r.source),
                         "started_at": .string(Timestamp.format(r.startedAt)), "committed_at": .string(Timestamp.format(r.committedAt))])
            }).rendered)
        case .text:
            if runs.isEmpty { print("no runs for \(view) yet (write some with `larder backfill \(view) --input FILE`)") }
            for r in runs {
                print("run \(r.id)  \(view)@\(r.version)  \(r.rows) rows, \(r.rejected) rejected  committed \(Timestamp.format(r.committedAt))  sha256 \(r.contentSHA256.prefix(16))…  \(r.source)")
            }
        }
    }
}
