/// How a backfill reads and validates its input (semantics §4).
public struct IngestOptions: Sendable {
    /// The input format.
    public enum Format: String, Sendable, CaseIterable {
        /// CSV with a header row.
        case csv
        /// JSON Lines: one object per line.
        case jsonl
        /// One JSON object of columns, `{"driver_id": [1001, 1002], …}`, or
        /// that object under `"df"` (Feast's push shape): rows are numbered
        /// by their position in the arrays, from 1.
        case jsonColumns = "json-columns"
        /// Arrow IPC, the stream or the file format (``ArrowIPCReader``):
        /// typed columns.
        case arrow

        /// Whether values are JSON (typed by the JSON rules) rather than text.
        var isJSON: Bool { self == .jsonl || self == .jsonColumns }
    }

    /// What to do with bad rows.
    public enum OnError: String, Sendable, CaseIterable {
        /// Reject the whole run: nothing is written (the default).
        case stop
        /// Commit the good rows; write the bad ones to the reject file.
        case skip
    }

    /// The unit of integer epoch timestamps.
    public enum TimeUnit: String, Sendable, CaseIterable {
        case s, ms, us

        /// Microseconds per unit.
        var microseconds: Int64 {
            switch self {
            case .s: 1_000_000
            case .ms: 1_000
            case .us: 1
            }
        }
    }

    /// The input format; `nil` guesses from the file extension (`.jsonl`,
    /// `.ndjson`, `.json` → JSON Lines; `.arrow`, `.arrows`, `.feather`,
    /// `.ipc` → Arrow; otherwise CSV), and a spine that starts like Arrow
    /// IPC (`ARROW1` or `0xFFFFFFFF`) is read as Arrow whatever its name.
    public var format: Format?
    /// Stop or skip on bad rows.
    public var onError: OnError = .stop
    /// Where `--on-error skip` writes the bad lines, each with its reasons:
    /// a file appears, complete, only when the run has committed.
    public var rejectFile: Destination?
    /// Read timestamps without an offset as UTC.
    public var assumeUTC = false
    /// Accept integer epochs in this unit.
    public var timeUnit: TimeUnit?
    /// The input column holding event times.
    public var eventTimeColumn = "event_timestamp"
    /// The input column holding created times, if present.
    public var createdTimeColumn = "created_timestamp"
    /// Feature columns absent from the input are written as null.
    public var allowMissingFeatures = false
    /// Input columns that are not part of the view are ignored.
    public var ignoreUnknownColumns = false
    /// Write nothing when a run with the same content hash was already
    /// committed to this view version.
    public var skipIfUnchanged = false
    /// The andon on the whole run's rejects: a run that rejects
    /// (`--on-error skip`) a greater fraction (0…1) of the rows it read, for
    /// any reason, is refused as a whole and nothing of it is written.
    /// Features' own limits (`max_reject_rate`, `max_null_rate` in the
    /// definitions) apply as well.
    public var maxRejectRate: Double?
    /// Rows typed and written per batch: 32,768, whose batches in flight
    /// between the pipeline's threads keep a 1M-row backfill of the bench
    /// schema at about 142 MB peak RSS (65,536: 165 MB, 2% faster).
    public var batchRows = 32_768
    /// Records the reader splits into fields per batch: half a typed batch
    /// (two make one, of ``batchRows`` rows or one more when it is odd), so
    /// that the reader's two batches in memory at once (one being split,
    /// one being typed) hold half as many records (20 MB less at batches of
    /// 65,536 rows of the bench schema).
    var readRows: Int { max(1, (batchRows + 1) / 2) }
    /// A spine's passthrough columns by name, as `int64`, `float64`, `bool`,
    /// `timestamp` or `string` (`--spine-types`); the others are inferred
    /// (see ``SpineReader``). Spines only.
    public var spineTypes: [String: FeatureType] = [:]
    /// Rows written as they are read, each batch sorted on its own, while
    /// the view's table is small enough to stay in the page cache; the rest
    /// of the run is sorted as a whole (``RunSorter``) before it is written.
    var streamedRows = IngestOptions.defaultStreamedRows
    /// The default of ``streamedRows``.
    static let defaultStreamedRows = 1 << 20
    /// Rows ``RunSorter`` sorts in memory before it spills them to a scratch file.
    var sortPartRows = 1 << 20
    /// Where ``RunSorter`` makes its scratch folder (nil: the system temporary folder).
    var scratchParent: String?
    /// Whether the run gathers and records its statistics (and so checks its
    /// rate limits). Off only in benchmarks, to measure what statistics cost.
    package var gathersStatistics = true
    /// The interval every event time must fall in (a backfill over
    /// intervals); a row outside it is a validation problem.
    var eventWindow: BackfillInterval?

    /// The defaults: guess the format, stop on the first bad row.
    public init() {}

    /// The format for `path`, honouring ``format`` when set.
    func resolvedFormat(for path: String) -> Format {
        if let format { return format }
        let lower = path.lowercased()
        if [".arrow", ".arrows", ".feather", ".ipc"].contains(where: { lower.hasSuffix($0) }) { return .arrow }
        return lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") || lower.hasSuffix(".json") ? .jsonl : .csv
    }
}

/// What a write did.
public struct IngestResult: Sendable, Equatable {
    /// The run's id, or nil when nothing was committed (`--skip-if-unchanged`).
    public var runID: Int64?
    /// The view version written to.
    public var view: String
    /// Its version.
    public var version: Int
    /// Rows committed.
    public var rowsWritten: Int
    /// Rows rejected (`--on-error skip`).
    public var rowsRejected: Int
    /// SHA-256 of the input.
    public var contentSHA256: String
    /// True when an identical input had already been committed and nothing was written.
    public var skippedUnchanged: Bool
    /// Wall-clock seconds.
    public var seconds: Double
}

/// Progress of a running backfill, reported after each batch.
public struct IngestProgress: Sendable {
    /// Rows read so far.
    public var rows: Int
    /// Input bytes consumed so far.
    public var bytesRead: Int
    /// Total input bytes, when known (not for stdin).
    public var totalBytes: Int?
    /// Seconds since the run started.
    public var seconds: Double
}
