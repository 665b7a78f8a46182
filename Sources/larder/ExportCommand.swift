import ArgumentParser
import Larder

/// `larder export VIEW[@N]`: a view version's stored rows.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write every stored row of a view version (keys, event and created times, run id, features), streaming.")

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N.")
    var view: String

    @Option(help: "Only rows with event_timestamp >= this time (RFC 3339).")
    var from: String?

    @Option(help: "Only rows with event_timestamp < this time (RFC 3339).")
    var to: String?

    @Option(help: "Only rows of runs committed at or before this time (RFC 3339).")
    var asOf: String?

    @Option(help: "csv, jsonl or arrow (default: from the output extension, else csv).")
    var format: OutputFormat?

    @Option(help: "The output file, or - for stdout.")
    var output: String

    func run() throws {
        let reference = try ViewReference(parsing: view)
        let store = try options.open()
        var range = ExportRange()
        range.from = try from.map { try parseTime($0, assumeUTC: false, option: "--from") }
        range.to = try to.map { try parseTime($0, assumeUTC: false, option: "--to") }
        range.asOf = try asOf.map { try parseTime($0, assumeUTC: false, option: "--as-of") }
        let rows = try store.export(view: reference.name, version: reference.version, range: range, format: format ?? OutputFormat(guessingFrom: output),
                                    to: Destination(argument: output))
        if output != "-" { writeStandardError("exported \(rows) rows to \(output)\n") }
    }
}
