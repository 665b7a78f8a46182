/// Splits RFC 4180 CSV into ``RawBatch``es of untyped fields.
///
/// The input has a header row and `,` separators; fields may be quoted, with
/// `""` for a quote and line ends inside the quotes. Lines end in LF or CRLF
/// (a lone CR inside a field is data). A UTF-8 byte order mark at the start
/// is skipped, the last record may lack a line end, and blank lines are
/// skipped wherever they are. A quote inside an unquoted field is data
/// (`5'10"`).
///
/// An unquoted empty field is ``FieldKind/null``; a quoted one (`""`) is
/// ``FieldKind/text`` with no bytes; anything else is ``FieldKind/text``
/// holding the unescaped bytes.
///
/// A record that cannot be split into the header's fields (wrong field
/// count, text after a closing quote, invalid UTF-8) becomes a
/// ``BadRecord`` and reading goes on. What cannot be recovered from is
/// thrown as ``LarderError/validation(problems:total:)``: a quote never
/// closed, a field larger than the limit, a bad header.
///
/// Usage: ``readHeader()`` once, then ``next(into:maxRows:)`` until it
/// returns `false`.
struct CSVReader {
    /// The largest field accepted by default: 16 MiB.
    static let defaultMaxFieldBytes = 16 << 20

    /// The file name that problems carry (`-` for stdin).
    let fileName: String
    /// Whether batches keep each row's raw text (for a reject file).
    let keepRawRecords: Bool
    /// The largest field accepted, in bytes; a larger one is an error.
    let maxFieldBytes: Int
    /// The header names, once ``readHeader()`` has read them.
    private(set) var header: [String] = []

    /// Where the bytes come from.
    private let source: ByteSource
    /// Whether ``readHeader()`` has run.
    private var headerRead = false
    /// The 1-based line where the next unread record starts.
    private var line = 1
    /// Scratch: the cells of the current record that hold `""` escapes.
    private var escapedCells: [Int] = []

    /// A reader of `source`, naming `fileName` in problems.
    /// - Parameter maxFieldBytes: the largest field accepted (at most
    ///   `Int32.max`).
    init(source: ByteSource, fileName: String, keepRawRecords: Bool,
         maxFieldBytes: Int = CSVReader.defaultMaxFieldBytes) {
        precondition(maxFieldBytes > 0 && maxFieldBytes <= Int(Int32.max), "field limit out of range")
        self.source = source
        self.fileName = fileName
        self.keepRawRecords = keepRawRecords
        self.maxFieldBytes = maxFieldBytes
    }

    /// The input bytes consumed so far (for progress against ``totalBytes``).
    var bytesRead: Int { source.bytesConsumed }

    /// The input's total size when known.
    var totalBytes: Int? { source.totalSize }

    /// Reads the header row and returns its names.
    ///
    /// Throws a validation error for an empty file ("file is empty (no
    /// header row)"), an empty or duplicate name, invalid UTF-8 in a name,
    /// or a malformed header record.
    mutating func readHeader() throws(LarderError) -> [String] {
        precondition(!headerRead, "readHeader() called twice")
        headerRead = true
        while source.unconsumed.count < 3, try source.fill() {}
        if source.unconsumed.starts(with: [0xEF, 0xBB, 0xBF]) { source.consume(3) }

        var record = RawBatch()
        record.reset(columnCount: 0, keepRawRecords: false, rowLimit: 1)
        try readRecords(into: &record, limit: 1)
        if let bad = record.badRecords.first { throw .validation(problems: [bad.problem], total: 1) }
        guard record.rowCount == 1 else {
            throw invalid(line: 1, column: "", value: "", "file is empty (no header row)")
        }
        let headerLine = record.lines[0]
        var names: [String] = []
        var seen: Set<String> = []
        for cell in record.starts.indices {
            let bytes = record.arena[record.starts[cell] ..< record.starts[cell] + Int(record.lengths[cell])]
            let name = String(decoding: bytes, as: UTF8.self)
            let invalidUTF8 = bytes.withUnsafeBytes { $0.firstInvalidUTF8Offset() != nil }
            if invalidUTF8 {
                throw invalid(line: headerLine, column: name, value: name,
                              "header name \(cell + 1) is not valid UTF-8")
            }
            if name.isEmpty {
                throw invalid(line: headerLine, column: "", value: "", "header name \(cell + 1) is empty")
            }
            if !seen.insert(name).inserted {
                throw invalid(line: headerLine, column: name, value: name,
                              "duplicate header name \"\(name)\"")
            }
            names.append(name)
        }
        header = names
        return names
    }

    /// Empties `batch` and fills it with the next records: up to `maxRows`
    /// of them, rows and bad records together.
    ///
    /// Returns `true` when the batch holds at least one row or bad record,
    /// `false` when the input is exhausted (the batch is then empty).
    ///
    /// - Complexity: O(n) in the bytes read.
    mutating func next(into batch: inout RawBatch, maxRows: Int) throws(LarderError) -> Bool {
        precondition(headerRead, "call readHeader() before next(into:maxRows:)")
        precondition(maxRows > 0, "maxRows must be positive")
        batch.reset(columnCount: header.count, keepRawRecords: keepRawRecords, rowLimit: maxRows)
        try readRecords(into: &batch, limit: maxRows)
        return !batch.isEmpty
    }

    // MARK: - Records

    /// Reads up to `limit` records (rows or bad records) into `batch`. A batch
    /// with `columnCount` 0 takes records of any width (the header).
    private mutating func readRecords(into batch: inout RawBatch, limit: Int) throws(LarderError) {
        var records = 0
        while records < limit {
            let window = source.unconsumed
            if window.isEmpty {
                if try source.fill() { continue }
                return
            }
            let start = window.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let atEnd = source.isAtEnd
            var offset = 0
            var needMore = false
            scanning: while records < limit, offset < window.count {
                let recordCells = batch.starts.count
                let scan = CSVReader.scan(start + offset, window.count - offset, atEnd: atEnd,
                                          arenaBase: batch.arena.count, maxFieldBytes: maxFieldBytes,
                                          batch: &batch, escapedCells: &escapedCells)
                switch scan {
                case .blank(let next):
                    offset += next
                    line += 1
                case .record(let record):
                    let raw = UnsafeRawBufferPointer(start: start + offset, count: record.end)
                    offset += record.next
                    records += 1
                    commit(record, raw: raw, cellsBefore: recordCells, into: &batch)
                case .incomplete(let field, let fieldStart, let fieldNewlines):
                    batch.truncateCells(to: recordCells)
                    escapedCells.removeAll(keepingCapacity: true)
                    if atEnd {
                        let text = UnsafeRawBufferPointer(start: start + offset + fieldStart,
                                                          count: min(window.count - offset - fieldStart, 80))
                        throw invalid(line: line + fieldNewlines, column: columnName(field),
                                      value: String(decoding: text, as: UTF8.self),
                                      "unterminated quoted field: its closing quote is missing")
                    }
                    needMore = true
                    break scanning
                case .tooLarge(let field, let fieldNewlines):
                    throw fieldTooLarge(line: line + fieldNewlines, field: field)
                }
            }
            source.consume(offset)
            if needMore { _ = try source.fill() }
        }
    }

    /// Turns a scanned record into a row of `batch`, or into a bad record
    /// when it has the wrong number of fields, text after a closing quote or
    /// invalid UTF-8.
    @inline(__always)
    private mutating func commit(_ record: ScannedRecord, raw: UnsafeRawBufferPointer,
                                 cellsBefore: Int, into batch: inout RawBatch) {
        let recordLine = line
        line += record.newlines + 1
        let checksWidth = batch.columnCount > 0
        if checksWidth, record.fields != batch.columnCount {
            let missing = record.fields < batch.columnCount
            reject(line: recordLine, column: missing ? header[record.fields] : "",
                   value: String(decoding: raw, as: UTF8.self),
                   reason: "expected \(batch.columnCount) fields, found \(record.fields)",
                   raw: raw, cellsBefore: cellsBefore, into: &batch)
            return
        }
        if let field = record.malformedField {
            let cell = cellsBefore + field
            let start = batch.starts[cell] - batch.arena.count
            let text = UnsafeRawBufferPointer(rebasing: raw[max(start - 1, 0) ..< raw.count])
            reject(line: recordLine, column: columnName(field),
                   value: String(decoding: text.prefix(80), as: UTF8.self),
                   reason: "text after the closing quote of a quoted field (write a quote inside quotes as \"\")",
                   raw: raw, cellsBefore: cellsBefore, into: &batch)
            return
        }
        let arenaBefore = batch.arena.count
        batch.arena.append(contentsOf: raw)
        if !escapedCells.isEmpty {
            for cell in escapedCells { CSVReader.unescapeQuotes(cell: cell, in: &batch) }
            escapedCells.removeAll(keepingCapacity: true)
        }
        if record.nonASCII, checksWidth, raw.firstInvalidUTF8Offset() != nil {
            for field in 0 ..< record.fields {
                let cell = cellsBefore + field
                let start = batch.starts[cell]
                let end = start + Int(batch.lengths[cell])
                let invalidUTF8 = batch.arena.withUnsafeBytes {
                    UnsafeRawBufferPointer(rebasing: $0[start ..< end]).firstInvalidUTF8Offset() != nil
                }
                guard invalidUTF8 else { continue }
                let value = String(decoding: batch.arena[start ..< end], as: UTF8.self)
                batch.arena.removeLast(batch.arena.count - arenaBefore)
                reject(line: recordLine, column: columnName(field), value: value,
                       reason: "invalid UTF-8", raw: raw, cellsBefore: cellsBefore, into: &batch)
                return
            }
        }
        batch.commitRow(line: recordLine, raw: raw)
    }

    /// Drops the cells of the current record from `batch` and adds it as a
    /// bad record.
    private mutating func reject(line: Int, column: String, value: String, reason: String,
                                 raw: UnsafeRawBufferPointer, cellsBefore: Int, into batch: inout RawBatch) {
        batch.truncateCells(to: cellsBefore)
        escapedCells.removeAll(keepingCapacity: true)
        batch.badRecords.append(BadRecord(
            line: line,
            problem: ValidationProblem(file: fileName, line: line, column: column, value: value, reason: reason),
            raw: Array(raw)))
    }

    /// The header name of field `index`, or empty past the header (or while
    /// reading it).
    private func columnName(_ index: Int) -> String {
        index < header.count ? header[index] : ""
    }

    /// A validation error with one problem.
    private func invalid(line: Int, column: String, value: String, _ reason: String) -> LarderError {
        .validation(problems: [ValidationProblem(file: fileName, line: line, column: column,
                                                 value: value, reason: reason)], total: 1)
    }

    /// The error for field `field` on `line` growing past ``maxFieldBytes``.
    private func fieldTooLarge(line: Int, field: Int) -> LarderError {
        invalid(line: line, column: columnName(field), value: "",
                "field is larger than \(maxFieldBytes) bytes (the most a field may hold)")
    }

    // MARK: - Tokenizer

    /// A record the tokenizer split into fields.
    private struct ScannedRecord {
        /// The end of the record's text (before its line end), from its start.
        var end: Int
        /// Where the next record starts, from this record's start.
        var next: Int
        /// The line ends inside quoted fields.
        var newlines: Int
        /// The number of fields.
        var fields: Int
        /// Whether any byte is not ASCII (then fields need a UTF-8 check).
        var nonASCII: Bool
        /// The first field with text after its closing quote, if any.
        var malformedField: Int?
    }

    /// What the tokenizer found at the front of the window.
    private enum Scan {
        /// An empty line, and where the next record starts.
        case blank(next: Int)
        /// A whole record, whose cells were appended to the batch.
        case record(ScannedRecord)
        /// The window ends inside the record: field `field` started at
        /// `fieldStart`, after `fieldNewlines` line ends of the record. At the
        /// end of input this is a quoted field never closed.
        case incomplete(field: Int, fieldStart: Int, fieldNewlines: Int)
        /// Field `field`, after `fieldNewlines` line ends, is larger than
        /// allowed, or is sure to be whatever follows the window.
        case tooLarge(field: Int, fieldNewlines: Int)
    }

    /// Splits the record at `b` (`n` bytes of window) into fields, appending
    /// a cell per field to `batch` whose start is `arenaBase` plus its offset
    /// in the record (the caller appends the record's bytes to the arena).
    /// Cells of quoted fields with `""` escapes go to `escapedCells`.
    ///
    /// A field's size, held against `maxFieldBytes`, is its bytes without
    /// the line end: for a quoted field, those between the quotes, plus any
    /// text after the closing quote. A record cut off by the window is
    /// refused as too large only when the bytes it surely has already
    /// exceed the limit, so that where the window ends never changes the
    /// outcome.
    ///
    /// - Complexity: O(record length), no allocation beyond the appends.
    @inline(__always)
    private static func scan(_ b: UnsafePointer<UInt8>, _ n: Int, atEnd: Bool, arenaBase: Int, maxFieldBytes: Int,
                     batch: inout RawBatch, escapedCells: inout [Int]) -> Scan {
        let comma: UInt8 = 0x2C, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D, quote: UInt8 = 0x22
        if b[0] == lf { return .blank(next: 1) }
        if b[0] == cr {
            if n > 1 {
                if b[1] == lf { return .blank(next: 2) }
            } else if atEnd {
                return .blank(next: 1)
            } else {
                return .incomplete(field: 0, fieldStart: 0, fieldNewlines: 0)
            }
        }
        var p = 0
        var fields = 0
        var newlines = 0
        var seen: UInt8 = 0
        var malformedField: Int?
        while true {
            let fieldStart = p
            let fieldNewlines = newlines
            if p < n, b[p] == quote {
                p += 1
                var escaped = false
                while true {
                    while p < n {
                        let c = b[p]
                        if c == quote { break }
                        seen |= c
                        if c == lf { newlines += 1 }
                        p += 1
                    }
                    if p + 1 < n {
                        if b[p + 1] == quote { escaped = true; p += 2; continue }
                        break
                    }
                    if p + 1 == n, atEnd { break }
                    // A quote as the window's last byte may be the closing one.
                    return cutOff(field: fields, fieldStart: fieldStart, fieldNewlines: fieldNewlines,
                                  surely: p - fieldStart - 1, maxFieldBytes: maxFieldBytes)
                }
                let length = p - fieldStart - 1
                if length > maxFieldBytes { return .tooLarge(field: fields, fieldNewlines: fieldNewlines) }
                if escaped { escapedCells.append(batch.starts.count) }
                batch.appendCell(start: arenaBase + fieldStart + 1, length: length, kind: .text)
                p += 1
                if p < n {
                    let c = b[p]
                    let lineEnd = c == lf || (c == cr && (p + 1 < n ? b[p + 1] == lf : atEnd))
                    if c == cr, p + 1 == n, !atEnd {
                        return .incomplete(field: fields, fieldStart: fieldStart, fieldNewlines: fieldNewlines)
                    }
                    if c != comma, !lineEnd {
                        if malformedField == nil { malformedField = fields }
                        p = unquotedEnd(b, p, n, atEnd, &seen)
                        if p == n, !atEnd {
                            // Less both quotes and a last byte that may be a CR before LF.
                            return cutOff(field: fields, fieldStart: fieldStart, fieldNewlines: fieldNewlines,
                                          surely: n - fieldStart - 3, maxFieldBytes: maxFieldBytes)
                        }
                        if p - fieldStart - 2 > maxFieldBytes {
                            return .tooLarge(field: fields, fieldNewlines: fieldNewlines)
                        }
                    }
                } else if !atEnd {
                    return .incomplete(field: fields, fieldStart: fieldStart, fieldNewlines: fieldNewlines)
                }
            } else {
                p = unquotedEnd(b, p, n, atEnd, &seen)
                let length = p - fieldStart
                if p == n, !atEnd {
                    // Less a last byte that may be a CR before LF.
                    return cutOff(field: fields, fieldStart: fieldStart, fieldNewlines: fieldNewlines,
                                  surely: length - 1, maxFieldBytes: maxFieldBytes)
                }
                if length > maxFieldBytes { return .tooLarge(field: fields, fieldNewlines: fieldNewlines) }
                batch.appendCell(start: arenaBase + fieldStart, length: length, kind: length == 0 ? .null : .text)
            }
            fields += 1
            if p == n {
                return .record(ScannedRecord(end: n, next: n, newlines: newlines, fields: fields,
                                             nonASCII: seen >= 0x80, malformedField: malformedField))
            }
            let c = b[p]
            if c == comma {
                p += 1
                continue
            }
            let next = c == lf || p + 1 == n ? p + 1 : p + 2
            return .record(ScannedRecord(end: p, next: next, newlines: newlines, fields: fields,
                                         nonASCII: seen >= 0x80, malformedField: malformedField))
        }
    }

    /// The result for a record cut off by the window inside field `field`,
    /// which holds at least `surely` bytes whatever follows:
    /// ``Scan/tooLarge(field:fieldNewlines:)`` when that is over
    /// `maxFieldBytes`, otherwise ``Scan/incomplete(field:fieldStart:fieldNewlines:)``.
    @inline(__always)
    private static func cutOff(field: Int, fieldStart: Int, fieldNewlines: Int, surely: Int,
                               maxFieldBytes: Int) -> Scan {
        surely > maxFieldBytes
            ? .tooLarge(field: field, fieldNewlines: fieldNewlines)
            : .incomplete(field: field, fieldStart: fieldStart, fieldNewlines: fieldNewlines)
    }

    /// The end of the unquoted run starting at `p`: the next `,`, LF or CRLF
    /// (a lone CR is data), or `n`. A CR as the window's last byte ends the
    /// run only at the end of input; otherwise the run ends at `n`, which
    /// the caller takes as "need more input". ORs the bytes into `seen`.
    @inline(__always)
    private static func unquotedEnd(_ b: UnsafePointer<UInt8>, _ start: Int, _ n: Int, _ atEnd: Bool,
                            _ seen: inout UInt8) -> Int {
        var p = start
        while p < n {
            let c = b[p]
            if c <= 0x2C, c == 0x2C || c == 0x0A || c == 0x0D {
                if c != 0x0D { return p }
                if p + 1 < n {
                    if b[p + 1] == 0x0A { return p }
                } else {
                    return atEnd ? p : n
                }
            }
            seen |= c
            p += 1
        }
        return n
    }

    /// Collapses the `""` escapes of a quoted field's cell in place.
    private static func unescapeQuotes(cell: Int, in batch: inout RawBatch) {
        let start = batch.starts[cell]
        let end = start + Int(batch.lengths[cell])
        let length = batch.arena.withUnsafeMutableBufferPointer { arena in
            var read = start, write = start
            while read < end {
                let c = arena[read]
                arena[write] = c
                write += 1
                read += c == 0x22 ? 2 : 1
            }
            return write - start
        }
        batch.lengths[cell] = Int32(length)
    }
}
