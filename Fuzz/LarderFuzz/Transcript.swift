@testable import Larder

/// Everything a reader produced from one input, independent of how the
/// input was chunked and batched: the header, every record in input order
/// and the error that ended the read, if any. Two reads of the same bytes
/// must agree (``agrees(with:)``).
struct Transcript: Equatable {
    /// One field of a row: its kind and bytes.
    struct Cell: Equatable {
        /// What kind of field it is.
        var kind: FieldKind
        /// Its bytes.
        var bytes: [UInt8]
    }

    /// One record: a row of cells, or a bad record's problem; with its raw
    /// text when the reader keeps it (always for a bad record).
    enum Record: Equatable {
        /// A well-formed record.
        case row(line: Int, cells: [Cell], raw: [UInt8]?)
        /// A record that could not be split into fields.
        case bad(BadRecordText)
    }

    /// A bad record in comparable form.
    struct BadRecordText: Equatable {
        /// Its line.
        var line: Int
        /// Its problem.
        var problem: ValidationProblem
        /// Its raw text.
        var raw: [UInt8]
    }

    /// The CSV header, when there is one.
    var header: [String] = []
    /// The records in input order.
    var records: [Record] = []
    /// The description of the error that ended the read, if any.
    var error: String?

    /// Appends the rows and bad records of `batch`, in line order.
    mutating func append(_ batch: RawBatch) {
        var rows: [(line: Int, record: Record)] = []
        for row in 0 ..< batch.rowCount {
            let cells = (0 ..< batch.columnCount).map { column in
                batch.withField(row: row, column: column) { Cell(kind: $0, bytes: Array($1)) }
            }
            rows.append((batch.lines[row], .row(line: batch.lines[row], cells: cells, raw: batch.rawRecord(row: row).map(Array.init))))
        }
        for bad in batch.badRecords {
            rows.append((bad.line, .bad(BadRecordText(line: bad.line, problem: bad.problem, raw: bad.raw))))
        }
        records += rows.sorted { $0.line < $1.line }.map(\.record)
    }

    /// Whether two reads of the same bytes agree: the same header and
    /// error, and the same records. A read that stops with an error drops
    /// the records of the batch it was filling, so then the records of one
    /// need only begin the other's.
    func agrees(with other: Transcript) -> Bool {
        guard header == other.header, error == other.error else { return false }
        if error == nil { return records == other.records }
        let common = min(records.count, other.records.count)
        return records.prefix(common) == other.records.prefix(common)
    }

    /// Where `self` and `other` first differ, for a failure message.
    func difference(from other: Transcript) -> String {
        if header != other.header { return "header \(header) vs \(other.header)" }
        if let index = zip(records, other.records).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            return "record \(index): \(records[index]) vs \(other.records[index])"
        }
        if error != other.error { return "error \(error ?? "none") vs \(other.error ?? "none")" }
        return "\(records.count) records vs \(other.records.count)"
    }
}
