/// Writes frames as RFC 4180 CSV (semantics §7): a header row of column
/// names, then one record per row, `\n` line ends.
///
/// Spellings:
/// - null: an empty field; the empty string: `""`, so the two read back apart;
/// - a field is quoted only when it contains `,` `"` `\r` or `\n` (quotes
///   inside are doubled) or is an empty string or empty bytes value;
/// - `int64`: decimal; `bool`: `true` / `false`;
/// - `float64`: Swift's shortest round-trip form (`0.1`, `1.0`, `-0.0`,
///   `1e+16`), and `NaN`, `inf`, `-inf`, which pandas, NumPy and Python's
///   `float()` all read back;
/// - `timestamp`: RFC 3339 UTC with microseconds, `2026-11-26T10:00:00.000000Z`;
/// - `string`: the UTF-8 text as is;
/// - `bytes`: standard base64 with padding (RFC 4648 §4);
/// - `vector<float32, N>`: `[0.5,1.25]`, elements as `float64` but in
///   `Float`'s shortest form, quoted when N > 1 (it then contains commas).
///
/// A frame of a single column whose value is null gives an empty line,
/// which some readers skip (pandas does unless `skip_blank_lines=False`).
struct CSVWriter: FrameWriter {
    private let schema: ExportSchema
    /// The output; tests read a memory sink's buffer.
    private(set) var sink: ByteSink
    private var chunk: TextChunk

    /// A writer of `schema` to `sink`; the header row is written at once.
    init(schema: ExportSchema, sink: ByteSink) {
        self.schema = schema
        self.sink = sink
        chunk = TextChunk(prefixes: schema.names.indices.map { $0 == 0 ? [] : [comma] }, rowEnd: [newline])
        for (i, name) in schema.names.enumerated() {
            if i > 0 { self.sink.buffer.append(comma) }
            var name = name
            name.withUTF8 { Self.appendText($0, to: &self.sink.buffer) }
        }
        self.sink.buffer.append(newline)
    }

    mutating func write(_ columns: [Column], rows: Range<Int>) throws(LarderError) {
        try schema.check(columns, rows: rows)
        try chunk.write(columns, rows: rows, to: &sink, format: Self.appendCells)
    }

    mutating func finish() throws(LarderError) {
        try sink.close()
    }

    /// Appends the fields of `rows` of `column` to `chunk` (empty for null).
    private static func appendCells(of column: Column, rows: Range<Int>, to chunk: inout TextChunk) {
        switch column.type {
        case .int64:
            chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                TextFormatting.appendInteger(column.ints[row], to: &out)
            }
        case .timestamp:
            chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                Timestamp.write(column.ints[row], into: &out)
            }
        case .float64:
            chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                appendNumber(column.doubles[row], to: &out)
            }
        case .bool:
            chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                TextFormatting.appendASCII(column.bools[row] ? "true" : "false", to: &out)
            }
        case .string:
            column.bytes.withUnsafeBufferPointer { bytes in
                chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                    appendText(UnsafeBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]]), to: &out)
                }
            }
        case .bytes:
            column.bytes.withUnsafeBufferPointer { bytes in
                chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                    let value = UnsafeBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]])
                    if value.isEmpty {
                        TextFormatting.appendASCII("\"\"", to: &out)
                    } else {
                        TextFormatting.appendBase64(value, to: &out)
                    }
                }
            }
        case .vector(let dimension):
            chunk.appendCells(rows, validity: column.validity, null: "") { row, out in
                if dimension > 1 { out.append(quote) }
                out.append(UInt8(ascii: "["))
                let start = row * dimension
                for i in start..<(start + dimension) {
                    if i > start { out.append(comma) }
                    appendNumber(column.floats[i], to: &out)
                }
                out.append(UInt8(ascii: "]"))
                if dimension > 1 { out.append(quote) }
            }
        }
    }

    /// Appends UTF-8 text as a field, quoted when it must be.
    private static func appendText(_ text: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        guard !text.isEmpty else {
            TextFormatting.appendASCII("\"\"", to: &out)
            return
        }
        guard text.contains(where: { $0 == comma || $0 == quote || $0 == newline || $0 == carriageReturn }) else {
            out.append(contentsOf: text)
            return
        }
        out.append(quote)
        for byte in text {
            if byte == quote { out.append(quote) }
            out.append(byte)
        }
        out.append(quote)
    }

    /// Appends a `float64` value or a vector element: shortest round-trip,
    /// or `NaN`, `inf`, `-inf`.
    @inline(__always) private static func appendNumber<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, to out: inout [UInt8]) {
        if value.isFinite {
            TextFormatting.appendFinite(value, to: &out)
        } else if value.isNaN {
            TextFormatting.appendASCII("NaN", to: &out)
        } else {
            TextFormatting.appendASCII(value < 0 ? "-inf" : "inf", to: &out)
        }
    }
}

private let comma = UInt8(ascii: ",")
private let quote = UInt8(ascii: "\"")
private let newline = UInt8(ascii: "\n")
private let carriageReturn = UInt8(ascii: "\r")
