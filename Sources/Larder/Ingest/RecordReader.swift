/// What a ``FileSource`` needs of a CSV or JSON Lines reader.
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
/// header, or `jsonColumns` for JSON Lines and a JSON object of columns
/// (whose other keys are refused unless `ignoreUnknownKeys`).
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
    case .jsonColumns:
        return (JSONColumnsReader(source: source, fileName: source.path, columns: jsonColumns, ignoreUnknownKeys: ignoreUnknownKeys,
                                  keepRawRecords: keepRawRecords), jsonColumns)
    case .arrow:
        preconditionFailure("Arrow input is read whole by ArrowIPCReader, never record by record")
    }
}
