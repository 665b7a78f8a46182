#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import class Foundation.Thread

/// Reads CSV or JSON Lines input and writes it to one view version as one
/// ingest run, in two stages that run on the machine's two cores at once:
///
/// - a reader thread reads, hashes, types and validates batches of records
///   and puts each batch in primary-key order;
/// - the calling thread inserts them through the ``RunWriter``, inside the
///   run's single transaction, and commits at the end or rolls it all back.
struct Backfill {
    let view: FeatureView
    let input: String
    let options: IngestOptions
    let progress: (@Sendable (IngestProgress) -> Void)?

    /// One validated batch on its way from the reader thread to the writer.
    struct Stage: Sendable {
        /// The rows, in primary-key order.
        var batch: WriteBatch
        /// Which rows (of `batch`) are bad; the writer skips them.
        var log: ProblemLog
        /// Records that could not be split into fields.
        var badRecords: [BadRecord]
        /// The raw text of each row of `batch` (skip mode only, for the reject file).
        var raw: [ArraySlice<UInt8>]
        /// Progress after this batch.
        var progress: IngestProgress
    }

    /// What the reader thread hands over: a batch, the end with the content
    /// hash, or an error.
    enum Handoff: Sendable {
        case stage(Stage)
        case end(sha256: String)
        case failure(LarderError)
    }

    /// Runs the backfill on `db`; the reject file (skip mode) goes through
    /// `outputs`, which the caller commits once the run has.
    func run(db: Connection, outputs: OutputFiles) throws -> IngestResult {
        let clock = Stopwatch()
        let keepRaw = options.onError == .skip
        let started = Timestamp.now()
        if options.skipIfUnchanged, input != "-" {
            let sha = try FileSystem.sha256(path: input)
            if try RunWriter.committedRun(of: view, withContent: sha, db: db) != nil {
                return IngestResult(runID: nil, view: view.name, version: view.version, rowsWritten: 0, rowsRejected: 0,
                                    contentSHA256: sha, skippedUnchanged: true, seconds: clock.seconds)
            }
        }
        let rejects = try options.rejectFile.map { destination throws(LarderError) in RejectFile(sink: try outputs.sink(for: destination)) }
        if keepRaw, rejects == nil {
            throw LarderError.invalidInput("--on-error skip needs --reject-file FILE for the rejected lines")
        }
        let queue = HandoffQueue<Handoff>(capacity: 2)
        let producer = self
        let thread = Thread { producer.produce(into: queue, started: started, clock: clock) }
        thread.stackSize = 8 << 20
        thread.start()
        defer { queue.close() } // unblocks the reader thread if the writer stops early

        let writer = try RunWriter(db: db, view: view, source: input, startedAt: started)
        var log = ProblemLog()
        var rejected = 0
        var rowsSeen = 0
        var sha = ""
        loop: while true {
            switch queue.take() {
            case .none:
                break loop
            case .failure(let error):
                writer.rollback()
                throw error
            case .end(let hash):
                sha = hash
                break loop
            case .stage(var stage):
                rowsSeen += stage.batch.count + stage.badRecords.count
                try writer.write(stage.batch, log: &stage.log, file: input)
                log.merge(stage.log)
                for bad in stage.badRecords { log.add(bad.problem, row: nil) }
                if keepRaw, let rejects {
                    for bad in stage.badRecords { try rejects.write(line: bad.line, reasons: [bad.problem.description], raw: bad.raw[...]) }
                    for (row, reasons) in stage.log.reasons.sorted(by: { stage.batch.lines[$0.key] < stage.batch.lines[$1.key] }) {
                        try rejects.write(line: stage.batch.lines[row], reasons: reasons, raw: stage.raw[row])
                    }
                    rejected += stage.badRecords.count + stage.log.reasons.count
                }
                progress?(stage.progress)
            }
        }
        if rowsSeen == 0 {
            log.add(ValidationProblem(file: input, line: 1, column: "", value: "", reason: "the input has no data rows"), row: nil)
        }
        // Stop mode rejects the run on any problem; skip mode when no row is left to commit.
        if log.total > 0, options.onError == .stop || writer.rowsWritten == 0 {
            writer.rollback()
            throw log.error
        }
        try rejects?.close()
        if options.skipIfUnchanged, try writer.committedRun(withContent: sha) != nil {
            writer.rollback()
            return IngestResult(runID: nil, view: view.name, version: view.version, rowsWritten: 0, rowsRejected: 0,
                                contentSHA256: sha, skippedUnchanged: true, seconds: clock.seconds)
        }
        try writer.commit(contentSHA256: sha, rejected: rejected)
        return IngestResult(runID: writer.runID, view: view.name, version: view.version, rowsWritten: writer.rowsWritten,
                            rowsRejected: rejected, contentSHA256: sha, skippedUnchanged: false, seconds: clock.seconds)
    }

    /// The reader thread: read, type, validate and sort batches until the
    /// input ends, an error occurs or the writer closes the queue.
    private func produce(into queue: HandoffQueue<Handoff>, started: Int64, clock: Stopwatch) {
        do {
            let keepRaw = options.onError == .skip
            let format = options.resolvedFormat(for: input)
            let source = try ByteSource(path: input)
            let jsonColumns = view.joinKeys.map(\.name) + [options.eventTimeColumn, options.createdTimeColumn] + view.features.map(\.name)
            var (reader, names) = try openRecordReader(source: source, format: format, jsonColumns: jsonColumns,
                                                       ignoreUnknownKeys: options.ignoreUnknownColumns, keepRawRecords: keepRaw)
            let mapping = try InputMapping.make(names: names, view: view, options: options, file: input)
            let typer = BatchTyper(view: view, mapping: mapping, options: options, file: input, names: names,
                                   isJSON: format == .jsonl, defaultCreated: started)
            let validator = Validator(view: view, file: input)
            var raw = RawBatch()
            var rowsRead = 0
            while try reader.next(into: &raw, maxRows: options.batchRows) {
                var batch = WriteBatch(view: view, capacity: raw.rowCount)
                var log = ProblemLog()
                log.startBatch(rows: raw.rowCount)
                typer.type(raw, into: &batch, log: &log)
                validator.check(batch, rows: 0..<batch.count, log: &log)
                rowsRead += raw.rowCount + raw.badRecords.count
                let order = batch.primaryKeyOrder()
                let rawRows = keepRaw ? order.map { raw.rawRecord(row: $0) ?? [] } : []
                let stage = Stage(batch: batch.gathered(order), log: log.gathered(order), badRecords: raw.badRecords, raw: rawRows,
                                  progress: IngestProgress(rows: rowsRead, bytesRead: reader.bytesRead, totalBytes: reader.totalBytes,
                                                           seconds: clock.seconds))
                guard queue.put(.stage(stage)) else { return }
            }
            source.consume(source.unconsumed.count)
            _ = queue.put(.end(sha256: source.contentSHA256))
        } catch {
            _ = queue.put(.failure(LarderError(error)))
        }
    }
}

/// What the backfill needs of a CSV or JSON Lines reader.
protocol RecordReader {
    /// Fills `batch` with up to `maxRows` records; false at the end of input.
    mutating func next(into batch: inout RawBatch, maxRows: Int) throws(LarderError) -> Bool
    /// Input bytes consumed so far.
    var bytesRead: Int { get }
    /// Total input bytes, when known.
    var totalBytes: Int? { get }
}

extension CSVReader: RecordReader {}
extension JSONLinesReader: RecordReader {}

/// A reader of `source` in `format`, and its column names: a CSV file's
/// header, or `jsonColumns` for JSON Lines (whose other keys are refused
/// unless `ignoreUnknownKeys`).
func openRecordReader(source: ByteSource, format: IngestOptions.Format, jsonColumns: [String], ignoreUnknownKeys: Bool,
                      keepRawRecords: Bool) throws(LarderError) -> (any RecordReader, [String]) {
    switch format {
    case .csv:
        var csv = CSVReader(source: source, fileName: source.path, keepRawRecords: keepRawRecords)
        let names = try csv.readHeader()
        return (csv, names)
    case .jsonl:
        return (JSONLinesReader(source: source, fileName: source.path, columns: jsonColumns, ignoreUnknownKeys: ignoreUnknownKeys,
                                keepRawRecords: keepRawRecords), jsonColumns)
    }
}

/// The `--reject-file` of `--on-error skip`: one JSON object per rejected
/// record, `{"line": N, "reasons": [...], "record": "raw text"}`.
final class RejectFile {
    private var sink: ByteSink

    init(sink: ByteSink) {
        self.sink = sink
    }

    /// Appends one rejected record.
    func write(line: Int, reasons: [String], raw: some Collection<UInt8>) throws(LarderError) {
        var text = "{\"line\":\(line),\"reasons\":[" + reasons.map(JSONValue.quoted).joined(separator: ",") + "],\"record\":"
        text += JSONValue.quoted(String(decoding: raw, as: UTF8.self)) + "}\n"
        sink.buffer.append(contentsOf: text.utf8)
        try sink.flushIfFull()
    }

    /// Flushes what is buffered.
    func close() throws(LarderError) {
        try sink.close()
    }
}

/// Wall-clock time since creation.
struct Stopwatch {
    private let start = Timestamp.now()
    /// Seconds elapsed.
    var seconds: Double { Double(Timestamp.now() - start) / 1_000_000 }
}
