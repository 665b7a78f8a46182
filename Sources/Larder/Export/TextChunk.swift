/// Writes the rows of a text format (CSV, JSON Lines) a chunk at a time:
/// the cells of each column are formatted in one pass over that column, then
/// the chunk is joined into lines with the format's separators.
///
/// Going column by column keeps the switch on the column type out of the
/// inner loop and reads each ``Column`` where it lies; going row by row, the
/// compiler copies the whole `Column` (eight retains) for every value,
/// because appending to the output might, as far as it can tell, change it.
struct TextChunk {
    /// The most rows formatted at once.
    static let capacity = 1024

    /// For each column, the bytes written before its cell (`,`, `{"name":`),
    /// back to back.
    private let prefixes: [UInt8]
    /// The end of each column's prefix in ``prefixes``.
    private let prefixEnds: [Int]
    /// The bytes that end a row (`\n`, `}\n`).
    private let rowEnd: [UInt8]
    /// The formatted cells, column after column.
    private var cells: [UInt8] = []
    /// The end of each cell in ``cells``.
    private var cellEnds: [Int] = []

    /// A chunk whose rows are, for each column, its prefix then its cell,
    /// and then `rowEnd`.
    init(prefixes: [[UInt8]], rowEnd: [UInt8]) {
        self.prefixes = prefixes.flatMap { $0 }
        var end = 0
        prefixEnds = prefixes.map { prefix in
            end += prefix.count
            return end
        }
        self.rowEnd = rowEnd
        cells.reserveCapacity(64 * Self.capacity)
        cellEnds.reserveCapacity(Self.capacity)
    }

    /// Writes rows `rows` of `columns` to `sink`; `format` appends the
    /// cells of one column for some rows (with ``appendCells(_:validity:null:_:)``).
    mutating func write(
        _ columns: [Column], rows: Range<Int>, to sink: inout ByteSink,
        format: (Column, Range<Int>, inout TextChunk) -> Void
    ) throws(LarderError) {
        var start = rows.lowerBound
        while start < rows.upperBound {
            let end = min(start + Self.capacity, rows.upperBound)
            cells.removeAll(keepingCapacity: true)
            cellEnds.removeAll(keepingCapacity: true)
            for column in columns { format(column, start..<end, &self) }
            join(rowCount: end - start, columnCount: columns.count, to: &sink.buffer)
            try sink.flushIfFull()
            start = end
        }
    }

    /// Appends one cell per row of `rows`: `format(row, &bytes)` for a
    /// value, `null` for a null.
    @inline(__always) mutating func appendCells(
        _ rows: Range<Int>, validity: Bitmap, null: StaticString, _ format: (Int, inout [UInt8]) -> Void
    ) {
        for row in rows {
            if validity[row] {
                format(row, &cells)
            } else {
                TextFormatting.appendASCII(null, to: &cells)
            }
            cellEnds.append(cells.count)
        }
    }

    /// Appends the lines of the chunk's `rowCount` rows to `out`, copying
    /// into space made at once rather than appending piece by piece.
    private func join(rowCount: Int, columnCount: Int, to out: inout [UInt8]) {
        let lineOverhead = prefixes.count + rowEnd.count
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: cells.count + rowCount * lineOverhead))
        out.withUnsafeMutableBufferPointer { out in
            cells.withUnsafeBufferPointer { cells in
                prefixes.withUnsafeBufferPointer { prefixes in
                    rowEnd.withUnsafeBufferPointer { rowEnd in
                        var next = out.baseAddress! + start
                        @inline(__always) func copy(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int) {
                            guard to > from else { return } // an empty buffer may have no address
                            next.update(from: bytes.baseAddress! + from, count: to - from)
                            next += to - from
                        }
                        for row in 0..<rowCount {
                            for column in 0..<columnCount {
                                copy(prefixes, from: column == 0 ? 0 : prefixEnds[column - 1], to: prefixEnds[column])
                                let cell = column * rowCount + row
                                copy(cells, from: cell == 0 ? 0 : cellEnds[cell - 1], to: cellEnds[cell])
                            }
                            copy(rowEnd, from: 0, to: rowEnd.count)
                        }
                        assert(next == out.baseAddress! + out.count, "joined rows do not fill the space made for them")
                    }
                }
            }
        }
    }
}
