/// A streaming writer of feature frames in one ``OutputFormat``.
///
/// A writer is opened with a schema (column names and types), receives
/// batches of rows one at a time and writes them out as they come, so an
/// export of any size runs in bounded memory. Call ``finish()`` once, after
/// the last batch: it writes what the format needs at the end and flushes the
/// output; a file appears, complete, only then (it is written beside its
/// path and renamed into place). A writer that is dropped without
/// ``finish()`` (after an error, say) removes what it wrote and leaves the
/// path as it was.
///
/// ```swift
/// var writer = try OutputFormat.csv.makeWriter(to: .file("train.csv"), names: frame.names,
///                                              types: frame.columns.map(\.type))
/// try writer.write(frame)
/// try writer.finish()
/// ```
public protocol FrameWriter {
    /// Writes rows `rows` of `columns`, which must match the writer's schema:
    /// one column per name, of the declared type, in the declared order.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the columns do not match the
    ///   schema or do not hold `rows`; ``LarderError/io(path:message:)`` when
    ///   the output cannot be written.
    mutating func write(_ columns: [Column], rows: Range<Int>) throws(LarderError)

    /// Writes the end of the output and flushes it; a file is then renamed
    /// into place. Call it once, last.
    ///
    /// - Throws: ``LarderError/io(path:message:)`` when the output cannot be
    ///   written or closed.
    mutating func finish() throws(LarderError)
}

extension FrameWriter {
    /// Writes rows `rows` of `frame`.
    public mutating func write(_ frame: FeatureFrame, rows: Range<Int>) throws(LarderError) {
        try write(frame.columns, rows: rows)
    }

    /// Writes every row of `frame`.
    public mutating func write(_ frame: FeatureFrame) throws(LarderError) {
        try write(frame.columns, rows: 0..<frame.rowCount)
    }
}

/// The formats that retrievals and exports write (semantics §7).
public enum OutputFormat: String, Sendable, CaseIterable {
    /// RFC 4180 CSV: a header row, `\n` line ends, fields quoted only when
    /// they must be. Null is an empty field and the empty string `""`;
    /// timestamps are `2026-11-26T10:00:00.000000Z`; floats are in shortest
    /// round-trip form (`0.1`, `1.0`, `-0.0`) or `NaN`, `inf`, `-inf`; bytes
    /// are base64; vectors are `"[0.5,1.25]"`.
    case csv
    /// JSON Lines: one object per row, keys in column order. Null is `null`;
    /// timestamps are RFC 3339 strings; floats are numbers in shortest
    /// round-trip form, or the strings `"NaN"`, `"Infinity"`, `"-Infinity"`
    /// (JSON has no such numbers); bytes are base64 strings; vectors are
    /// arrays.
    case jsonl
    /// Arrow IPC, uncompressed: the file format (Feather v2) when writing a
    /// file, the stream format when writing standard output, which cannot
    /// seek. Timestamps are `timestamp[us, tz=UTC]`, vectors
    /// `fixed_size_list<item: float>[N]`, every field is nullable, and record
    /// batches hold at most 65,536 rows.
    case arrow

    /// The format an output path suggests: `.jsonl`/`.ndjson` → JSON Lines,
    /// `.arrow`/`.feather`/`.ipc` → Arrow, anything else (and `-`) → CSV —
    /// except a name that promises a format Larder does not write
    /// (``foreignExtensions``), which is refused rather than filled with CSV.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` for such a name.
    public init(guessingFrom path: String) throws(LarderError) {
        let lower = path.lowercased()
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            self = .jsonl
        } else if lower.hasSuffix(".arrow") || lower.hasSuffix(".feather") || lower.hasSuffix(".ipc") {
            self = .arrow
        } else if let foreign = OutputFormat.foreignExtensions.first(where: { lower.hasSuffix($0) }) {
            throw .invalidInput("\(path): Larder does not write \(foreign) files; it writes CSV, JSON Lines and Arrow "
                                + "(name the file .csv, .jsonl or .arrow, or give --format csv|jsonl|arrow)")
        } else {
            self = .csv
        }
    }

    /// Extensions of formats Larder does not write, refused by
    /// ``init(guessingFrom:)``: `.json` (a JSON document; JSON Lines is
    /// `.jsonl`), Parquet, ORC, Avro, Excel.
    public static let foreignExtensions = [".json", ".parquet", ".pq", ".orc", ".avro", ".xlsx", ".xls"]

    /// Opens a writer of this format to `destination`, for columns named
    /// `names` of types `types`. A file is written beside its path and
    /// renamed into place by the writer's ``FrameWriter/finish()``.
    ///
    /// - Throws: ``LarderError/io(path:message:)`` when the file cannot be
    ///   created.
    public func makeWriter(to destination: Destination, names: [String], types: [FeatureType]) throws(LarderError) -> any FrameWriter {
        makeWriter(sink: try ByteSink.open(destination), names: names, types: types)
    }

    /// A writer of this format over `sink`: an Arrow file, or an Arrow stream
    /// on standard output or a consumer.
    func makeWriter(sink: ByteSink, names: [String], types: [FeatureType]) -> any FrameWriter {
        let schema = ExportSchema(names: names, types: types)
        switch self {
        case .csv: return CSVWriter(schema: schema, sink: sink)
        case .jsonl: return JSONLinesWriter(schema: schema, sink: sink)
        case .arrow: return ArrowWriter(schema: schema, sink: sink, container: sink.isStream ? .stream : .file)
        }
    }
}

/// The column names and types a writer was opened with.
struct ExportSchema {
    /// The column names, in output order.
    let names: [String]
    /// The column types, in the order of ``names``.
    let types: [FeatureType]

    /// A schema of `names` typed `types` (one type per name).
    init(names: [String], types: [FeatureType]) {
        precondition(names.count == types.count, "\(names.count) column names for \(types.count) types")
        self.names = names
        self.types = types
    }

    /// Throws unless `columns` match the schema and all hold `rows`.
    func check(_ columns: [Column], rows: Range<Int>) throws(LarderError) {
        guard columns.count == types.count else {
            throw .invalidInput("a writer of \(types.count) columns was given \(columns.count)")
        }
        for (i, column) in columns.enumerated() {
            guard column.type == types[i] else {
                throw .invalidInput("column \(names[i]) is declared \(types[i]) but holds \(column.type) values")
            }
            guard rows.lowerBound >= 0, rows.upperBound <= column.count else {
                throw .invalidInput("rows \(rows) are outside column \(names[i]) of \(column.count) rows")
            }
        }
    }
}
