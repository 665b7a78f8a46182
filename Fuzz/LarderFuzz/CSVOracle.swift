@testable import Larder

/// A plain, unoptimized reading of CSV as ``CSVReader`` documents it, to
/// check the fast reader against: the same records, fields and lines.
///
/// Rules: a leading byte order mark is skipped; lines end in LF or CRLF (a
/// lone CR is data, but ends the input's last line); a record starting at a
/// line end is blank and skipped; a field is quoted (`""` for a quote, line
/// ends inside) or runs to the next `,` or line end; text after a closing
/// quote makes the record bad; an empty unquoted field is null.
struct CSVOracle {
    /// One record as the oracle reads it.
    struct Record {
        /// The line it starts on.
        var line: Int
        /// Its fields.
        var cells: [Transcript.Cell]
        /// Whether a quoted field has text after its closing quote.
        var malformed: Bool
    }

    /// The records, header included, in input order.
    private(set) var records: [Record] = []
    /// Whether the input ends inside a quoted field (then ``records`` stops
    /// before that record).
    private(set) var unterminated = false

    /// The input.
    private let bytes: [UInt8]
    /// The position of the next byte to read.
    private var p = 0

    /// Reads all of `payload`.
    init(_ payload: UnsafeRawBufferPointer) {
        bytes = Array(payload)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p = 3 }
        var line = 1
        while p < bytes.count {
            if let end = lineEnd(at: p) {
                p += end
                line += 1
                continue
            }
            guard let record = readRecord(line: line) else {
                unterminated = true
                return
            }
            records.append(record)
            line += 1 + record.cells.reduce(0) { $0 + $1.bytes.count(where: { $0 == 0x0A }) }
        }
    }

    /// Traps unless the whole read `transcript` of the same input, with no
    /// field limit in reach, agrees: the same header, rows, bad records and
    /// lines, and an unterminated quote when the oracle finds one.
    func check(_ transcript: Transcript) {
        if let error = transcript.error {
            invariant(!error.contains("unterminated quoted field") || unterminated,
                      "the reader finds an unterminated quote that the oracle does not")
        } else {
            invariant(!unterminated, "the oracle finds an unterminated quote that the reader accepts")
            invariant(transcript.records.count == max(records.count - 1, 0), "the oracle finds \(records.count) records")
        }
        guard let header = records.first, transcript.error == nil || !transcript.header.isEmpty else { return }
        invariant(transcript.header == header.cells.map { String(decoding: $0.bytes, as: UTF8.self) }, "header differs")
        for (record, expected) in zip(transcript.records, records.dropFirst()) {
            let good = !expected.malformed && expected.cells.count == header.cells.count
                && expected.cells.allSatisfy { String(validating: $0.bytes, as: UTF8.self) != nil }
            switch record {
            case .row(let line, let cells, _):
                invariant(good && line == expected.line && cells == expected.cells, "line \(line) differs from the oracle's")
            case .bad(let bad):
                invariant(!good && bad.line == expected.line, "line \(bad.line) is bad, the oracle's is not")
            }
        }
    }

    /// The length of the line end at `i` (LF, CRLF, or a CR that ends the
    /// input), or nil.
    private func lineEnd(at i: Int) -> Int? {
        guard i < bytes.count else { return nil }
        if bytes[i] == 0x0A { return 1 }
        guard bytes[i] == 0x0D else { return nil }
        if i + 1 == bytes.count { return 1 }
        return bytes[i + 1] == 0x0A ? 2 : nil
    }

    /// Reads the record at `p` (up to and past its line end), or nil when a
    /// quoted field in it never closes.
    private mutating func readRecord(line: Int) -> Record? {
        var record = Record(line: line, cells: [], malformed: false)
        while true {
            var cell = Transcript.Cell(kind: .text, bytes: [])
            if p < bytes.count, bytes[p] == 0x22 {
                p += 1
                while true {
                    guard p < bytes.count else { return nil }
                    if bytes[p] == 0x22 {
                        if p + 1 < bytes.count, bytes[p + 1] == 0x22 {
                            cell.bytes.append(0x22)
                            p += 2
                            continue
                        }
                        p += 1
                        break
                    }
                    cell.bytes.append(bytes[p])
                    p += 1
                }
                while p < bytes.count, bytes[p] != 0x2C, lineEnd(at: p) == nil {
                    record.malformed = true
                    p += 1
                }
            } else {
                while p < bytes.count, bytes[p] != 0x2C, lineEnd(at: p) == nil {
                    cell.bytes.append(bytes[p])
                    p += 1
                }
                if cell.bytes.isEmpty { cell.kind = .null }
            }
            record.cells.append(cell)
            if p < bytes.count, bytes[p] == 0x2C {
                p += 1
                continue
            }
            p += lineEnd(at: p) ?? 0
            return record
        }
    }
}
