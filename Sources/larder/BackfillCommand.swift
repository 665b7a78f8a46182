import ArgumentParser
import Larder

#if canImport(Glibc)
import Glibc
#endif

extension IngestOptions.Format: ExpressibleByArgument {}
extension IngestOptions.OnError: ExpressibleByArgument {}
extension IngestOptions.TimeUnit: ExpressibleByArgument {}

/// `larder backfill VIEW[@N] --input FILE|-`: one validated, atomic ingest
/// run; with `--command`, one run per interval, kept in the ledger.
struct BackfillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Write rows from a CSV, JSON Lines, JSON columns or Arrow file (or stdin) to a feature view as one atomic ingest run, "
            + "or run a command per interval of history (--command), one run each, kept in the ledger.",
        discussion: """
            Columns: the entity's join keys, event_timestamp, optionally created_timestamp, and features by name.
            Every row is validated before anything is visible; with --on-error stop (the default) one problem rejects
            the whole run and the first 20 are listed as FILE:LINE: column COLUMN: value "VALUE": reason.
            With --command 'CMD {start} {end}' --from T --to T --every 1d, CMD runs once per interval [start, end)
            ({start}, {end} and $LARDER_START, $LARDER_END in RFC 3339; $LARDER_VIEW, $LARDER_VERSION), its standard
            output is read as CSV (or --format jsonl) and committed as its own run, with its ledger entry
            (`larder ledger VIEW`). Intervals committed with the same command are skipped; a row outside its interval
            is a validation error; a failed interval keeps the command's stderr tail and the validation report.
            Exit status: 0 written (with --command: every interval committed), 1 validation or usage error or an
            interval not committed, 2 I/O or store error.
            """)

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N (default: the latest version).")
    var view: String

    @Option(help: "The input file, or - for stdin.")
    var input: String?

    @OptionGroup(title: "Intervals (--command)") var intervals: IntervalOptions

    @Option(help: "csv, jsonl, json-columns (one JSON object of columns) or arrow (Arrow IPC, file or stream) (default: Arrow when the input starts like it, else from the file extension; csv for stdin).")
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

    @Option(help: "With --on-error skip: refuse the whole run when it rejects more than this fraction of the rows it read (0.05 is 5%).")
    var maxRejectRate: Double?

    func validate() throws {
        if onError == .skip && rejectFile == nil { throw ValidationError("--on-error skip needs --reject-file FILE") }
        if maxRejectRate != nil && onError == .stop { throw ValidationError("--max-reject-rate is only used with --on-error skip (stop refuses any rejected row)") }
        if let maxRejectRate, !(0...1).contains(maxRejectRate) {
            throw ValidationError("--max-reject-rate is a fraction from 0 to 1 (0.05 is 5%), not \(maxRejectRate)")
        }
        if rejectFile != nil && onError == .stop { throw ValidationError("--reject-file is only used with --on-error skip") }
        switch (input, intervals.command) {
        case (nil, nil): throw ValidationError("give --input FILE (or - for stdin), or --command CMD with --from, --to and --every")
        case (.some, .some): throw ValidationError("--input and --command cannot be used together")
        case (.some, nil): if let used = intervals.usedOption { throw ValidationError("\(used) is only used with --command") }
        case (nil, .some):
            try intervals.check()
            if onError == .skip { throw ValidationError("--on-error skip is not supported with --command: an interval is committed whole or not at all") }
            if skipIfUnchanged { throw ValidationError("--skip-if-unchanged is not used with --command: the ledger skips committed intervals") }
        }
    }

    func run() throws {
        let reference = try ViewReference(parsing: view)
        let ingest = ingestOptions()
        let store = try options.open()
        guard let input else {
            let report = try intervals.run(store: store, view: reference, ingest: ingest)
            if !report.allCommitted { throw ExitCode(1) }
            return
        }
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

    /// How the input is read, from the flags.
    private func ingestOptions() -> IngestOptions {
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
        ingest.maxRejectRate = maxRejectRate
        return ingest
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
