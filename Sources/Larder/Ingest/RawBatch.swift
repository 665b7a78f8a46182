/// What kind of thing an input field is, before typing.
enum FieldKind: UInt8, Sendable {
    /// The key is absent from a JSON Lines object; the bytes are empty.
    case missing = 0
    /// A CSV empty unquoted field, or JSON `null`; the bytes are empty.
    case null
    /// A CSV field (quoted or not) or a JSON string; the bytes are the
    /// unescaped UTF-8 text.
    case text
    /// A JSON number; the bytes are its literal text (`-1.5e3`).
    case number
    /// JSON `true` or `false`; the bytes are `true` or `false`.
    case boolean
    /// A JSON array; the bytes are its raw JSON text, brackets included.
    case array
}

/// An input record that could not be split into fields (wrong field count,
/// a broken quote, invalid UTF-8, malformed JSON …). It is kept out of the
/// batch's rows so that a caller in "skip bad rows" mode can reject it and
/// go on.
struct BadRecord: Sendable {
    /// The 1-based line where the record starts.
    var line: Int
    /// What is wrong with it, with file, line, column and value.
    var problem: ValidationProblem
    /// The record's raw text, without its line end.
    var raw: [UInt8]
}

/// A batch of input records as untyped fields, row-major: what the CSV and
/// JSON Lines readers produce and the typing stage consumes.
///
/// Cell `row * columnCount + column` is described by ``starts``,
/// ``lengths`` and ``kinds``; its bytes are `arena[start ..< start + length]`.
/// All buffers keep their capacity across ``removeAll()``, so a batch reused
/// for a whole file allocates only while it grows to its largest size.
struct RawBatch: Sendable {
    /// The number of fields in every row.
    var columnCount = 0
    /// The number of well-formed records (rows); ``badRecords`` are not counted.
    var rowCount = 0
    /// The 1-based line where each row starts.
    var lines: [Int] = []
    /// The field bytes. Fields are slices of it; bytes between fields are
    /// unspecified (separators, quotes).
    var arena: [UInt8] = []
    /// Per cell: where its bytes start in ``arena``.
    var starts: [Int] = []
    /// Per cell: how many bytes it has.
    var lengths: [Int32] = []
    /// Per cell: what kind of field it is.
    var kinds: [FieldKind] = []
    /// When the reader keeps raw records: each row's raw text (without its
    /// line end), back to back, delimited by ``rawOffsets``; `nil` otherwise.
    var rawRecords: [UInt8]?
    /// When ``rawRecords`` is kept: `rowCount + 1` offsets into it, row `r`
    /// spanning `rawOffsets[r] ..< rawOffsets[r + 1]`; empty otherwise.
    var rawOffsets: [Int] = []
    /// Records that could not be split into fields, in input order.
    var badRecords: [BadRecord] = []
    /// The most rows the reader puts in the batch this time (see ``commitRow(line:raw:)``).
    private var rowLimit = 0
    /// Rows after which the arrays are sized for ``rowLimit`` rows at once.
    private static let sizingRows = 4_096

    /// An empty batch; a reader sets it up on its first use.
    init() {}

    /// Whether the batch holds neither rows nor bad records.
    var isEmpty: Bool { rowCount == 0 && badRecords.isEmpty }

    /// Calls `body` with the kind and bytes of one field. The bytes are valid
    /// only inside `body`.
    func withField<R, E: Error>(
        row: Int, column: Int,
        _ body: (FieldKind, UnsafeRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        let cell = row * columnCount + column
        let start = starts[cell]
        let length = Int(lengths[cell])
        let kind = kinds[cell]
        return try arena.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            try body(kind, UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[start ..< start + length]))
        }
    }

    /// Calls `body` with the whole arena: the fast way to read many fields,
    /// slicing it with ``starts`` and ``lengths``.
    func withArena<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try arena.withUnsafeBufferPointer { (buffer) throws(E) -> R in
            try body(UnsafeRawBufferPointer(buffer))
        }
    }

    /// The raw text of row `row` (without its line end), or `nil` when the
    /// reader does not keep raw records.
    func rawRecord(row: Int) -> ArraySlice<UInt8>? {
        rawRecords.map { $0[rawOffsets[row] ..< rawOffsets[row + 1]] }
    }

    /// Removes every row and bad record, keeping the buffers' capacity.
    mutating func removeAll() {
        rowCount = 0
        lines.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        kinds.removeAll(keepingCapacity: true)
        rawRecords?.removeAll(keepingCapacity: true)
        rawOffsets.removeAll(keepingCapacity: true)
        badRecords.removeAll(keepingCapacity: true)
        if rawRecords != nil { rawOffsets.append(0) }
    }

    /// Empties the batch and sets it up for up to `rowLimit` rows of
    /// `columnCount` fields, keeping raw records or not: what a reader does
    /// before filling it.
    mutating func reset(columnCount: Int, keepRawRecords: Bool, rowLimit: Int) {
        self.columnCount = columnCount
        self.rowLimit = rowLimit
        if keepRawRecords {
            if rawRecords == nil { rawRecords = [] }
        } else {
            rawRecords = nil
        }
        removeAll()
    }

    /// Appends one cell.
    @inline(__always)
    mutating func appendCell(start: Int, length: Int, kind: FieldKind) {
        starts.append(start)
        lengths.append(Int32(truncatingIfNeeded: length))
        kinds.append(kind)
    }

    /// Removes the cells after the first `count`.
    mutating func truncateCells(to count: Int) {
        let extra = starts.count - count
        guard extra > 0 else { return }
        starts.removeLast(extra)
        lengths.removeLast(extra)
        kinds.removeLast(extra)
    }

    /// Appends a row whose cells are already in place: its line and, when
    /// raw records are kept, its raw text.
    @inline(__always)
    mutating func commitRow(line: Int, raw: UnsafeRawBufferPointer) {
        rowCount += 1
        lines.append(line)
        if rawRecords != nil {
            rawRecords!.append(contentsOf: raw)
            rawOffsets.append(rawRecords!.count)
        }
        if rowCount == RawBatch.sizingRows, rowLimit > rowCount { sizeForRowLimit() }
    }

    /// Makes room for ``rowLimit`` rows once a batch is large: the cells
    /// exactly, the text as the rows so far predict (with an eighth to
    /// spare). Grown by doubling instead, the arrays would keep up to twice
    /// the room they need, and copy themselves on the way (at 16,384 rows
    /// of the bench schema, about 3 MB more per batch in flight). A small
    /// batch (a server's push) never gets here.
    private mutating func sizeForRowLimit() {
        let cells = rowLimit * columnCount
        starts.reserveCapacity(cells)
        lengths.reserveCapacity(cells)
        kinds.reserveCapacity(cells)
        lines.reserveCapacity(rowLimit)
        let predicted = arena.count / rowCount * rowLimit
        arena.reserveCapacity(predicted + predicted / 8)
    }
}

// MARK: - UTF-8 validation

extension UnsafeRawBufferPointer {
    /// The offset of the first byte that does not belong to a well-formed
    /// UTF-8 sequence (overlong forms, surrogates and values past U+10FFFF
    /// are ill-formed), or `nil` when every byte does.
    ///
    /// ASCII runs are checked eight bytes at a time.
    ///
    /// - Complexity: O(n), no allocation.
    package func firstInvalidUTF8Offset() -> Int? {
        guard let base = baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let n = count
        var i = 0
        while i < n {
            while i + 8 <= n, UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
            }
            guard i < n else { return nil }
            let lead = base[i]
            if lead < 0x80 { i += 1; continue }
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2 ... 0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1 ... 0xEC, 0xEE ... 0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1 ... 0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return i
            }
            guard i + length <= n, base[i + 1] >= low, base[i + 1] <= high else { return i }
            for k in 2 ..< length where base[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}
