import ArgumentParser
import Larder

#if canImport(Glibc)
import Glibc
#endif

extension IngestOptions.Format: ExpressibleByArgument {}
extension IngestOptions.OnError: ExpressibleByArgument {}
extension IngestOptions.TimeUnit: ExpressibleByArgument {}

/// `larder backfill VIEW[@N] --input FILE|-`: one validated, atomic ingest run.
struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Write rows from a CSV or JSON Lines file (or stdin) to a feature view as one atomic ingest run.",
        discussion: """
            Columns: the entity's join keys, event_timestamp, optionally created_timestamp, and features by name.
            Every row is validated before anything is visible; with --on-error stop (the default) one problem rejects
            the whole run and the first 20 are listed as FILE:LINE: column COLUMN: value "VALUE": reason.
            Exit status: 0 written, 1 validation or usage error, 2 I/O or store error.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N (default: the latest version).")
    var view: String

    @Option(help: "The input file, or - for stdin.")
    var input: String

    @Option(help: "csv or jsonl (default: from the file extension; csv for stdin).")
    var format: IngestOptions.Format?

    @Option(help: "stop: reject the whole run on any problem; skip: commit good rows, write bad ones to --reject-file.")
    var onError: IngestOptions.OnError = .stop

    @Option(help: "Where --on-error skip writes rejected lines (JSON Lines: line, reasons, record).")
    var rejectFile: String?

    @Flag(help: "Read timestamps without an offset as UTC.")
    var assumeUTC = false

    @Option(help: "Accept integer epoch timestamps in this unit: s, ms or us.")
    var timeUnit: IngestOptions.TimeUnit?

    @Option(help: "The input column holding event times.")
    var eventTimeColumn = "event_timestamp"

    @Option(help: "The input column holding created times.")
    var createdTimeColumn = "created_timestamp"

    @Flag(help: "Write null for feature columns the input lacks.")
    var allowMissingFeatures = false

    @Flag(help: "Ignore input columns that are not part of the view.")
    var ignoreUnknownColumns = false

    @Flag(help: "Write nothing when identical input was already committed to this view version.")
    var skipIfUnchanged = false

    func validate() throws {
        if onError == .skip && rejectFile == nil { throw ValidationError("--on-error skip needs --reject-file FILE") }
        if rejectFile != nil && onError == .stop { throw ValidationError("--reject-file is only used with --on-error skip") }
    }

    func run() throws {
        let reference = try ViewReference(parsing: view)
        var ingest = IngestOptions()
        ingest.format = format
        ingest.onError = onError
        ingest.rejectFile = rejectFile.map(Destination.init(argument:))
        ingest.assumeUTC = assumeUTC
        ingest.timeUnit = timeUnit
        ingest.eventTimeColumn = eventTimeColumn
        ingest.createdTimeColumn = createdTimeColumn
        ingest.allowMissingFeatures = allowMissingFeatures
        ingest.ignoreUnknownColumns = ignoreUnknownColumns
        ingest.skipIfUnchanged = skipIfUnchanged
        let store = try options.open()
        let showProgress = isatty(2) != 0
        var progress: (@Sendable (IngestProgress) -> Void)?
        if showProgress { progress = { printProgress($0) } }
        let result = try store.backfill(view: reference.name, version: reference.version, input: Source(argument: input), options: ingest, progress: progress)
        if showProgress { writeStandardError("\r\u{1B}[K") }
        if result.skippedUnchanged {
            print("unchanged: this content (sha256 \(result.contentSHA256.prefix(16))…) was already committed to \(result.view)@\(result.version); nothing written")
            return
        }
        print("rows written: \(result.rowsWritten), rows rejected: \(result.rowsRejected), run id: \(result.runID.map(String.init) ?? "-"), view: \(result.view)@\(result.version), seconds: \(String(format3: result.seconds))")
    }
}

/// The progress line on stderr: rows, rows/s, percent of input bytes.
func printProgress(_ p: IngestProgress) {
    let rate = p.seconds > 0 ? Int(Double(p.rows) / p.seconds) : 0
    var line = "\r\u{1B}[K\(p.rows) rows, \(rate) rows/s"
    if let total = p.totalBytes, total > 0 { line += ", \(p.bytesRead * 100 / total)%" }
    writeStandardError(line)
}

extension String {
    /// `value` with three decimals.
    init(format3 value: Double) {
        let scaled = Int((value * 1000).rounded())
        let fraction = String(scaled % 1000)
        self = "\(scaled / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
