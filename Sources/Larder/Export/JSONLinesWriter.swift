/// Writes frames as JSON Lines (semantics §7): one JSON object per row, keys
/// in column order, each line ended by `\n`.
///
/// Spellings:
/// - null: `null`; `int64`: a JSON number; `bool`: `true` / `false`;
/// - `float64`: a JSON number in Swift's shortest round-trip form (`0.1`,
///   `1.0`, `-0.0`, `1e+16`). JSON has no NaN or infinity, so those are the
///   strings `"NaN"`, `"Infinity"` and `"-Infinity"`: the output stays valid
///   JSON, stays distinct from null, and Python's `float()` and pandas read
///   the strings back as the values;
/// - `timestamp`: an RFC 3339 string, `"2026-11-26T10:00:00.000000Z"`;
/// - `string`: a JSON string; `"` and `\` are escaped, control characters as
///   `\n` `\r` `\t` `\b` `\f` or `\u00XX`, everything else (non-ASCII
///   included) as UTF-8. String values are taken to be valid UTF-8, as every
///   Larder reader ensures;
/// - `bytes`: a string of standard base64 with padding (RFC 4648 §4);
/// - `vector<float32, N>`: an array of numbers, `[0.5,1.25]`, in `Float`'s
///   shortest form, with non-finite elements spelled as for `float64`.
struct JSONLinesWriter: FrameWriter {
    private let schema: ExportSchema
    /// The output; tests read a memory sink's buffer.
    private(set) var sink: ByteSink
    private var chunk: TextChunk

    /// A writer of `schema` to `sink`.
    init(schema: ExportSchema, sink: ByteSink) {
        self.schema = schema
        self.sink = sink
        // Each value is preceded by `{"name":` (first column) or `,"name":`.
        let keys = schema.names.enumerated().map { i, name in
            var key: [UInt8] = [i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ",")]
            var name = name
            name.withUTF8 { JSONValue.appendQuoted($0, to: &key) }
            key.append(UInt8(ascii: ":"))
            return key
        }
        chunk = TextChunk(prefixes: keys, rowEnd: Array((keys.isEmpty ? "{}\n" : "}\n").utf8))
    }

    mutating func write(_ columns: [Column], rows: Range<Int>) throws(LarderError) {
        try schema.check(columns, rows: rows)
        try chunk.write(columns, rows: rows, to: &sink, format: Self.appendCells)
    }

    mutating func finish() throws(LarderError) {
        try sink.close()
    }

    /// Appends the JSON values of `rows` of `column` to `chunk`.
    private static func appendCells(of column: Column, rows: Range<Int>, to chunk: inout TextChunk) {
        switch column.type {
        case .int64:
            chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                TextFormatting.appendInteger(column.ints[row], to: &out)
            }
        case .timestamp:
            chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                out.append(UInt8(ascii: "\""))
                Timestamp.write(column.ints[row], into: &out)
                out.append(UInt8(ascii: "\""))
            }
        case .float64:
            chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                let value = column.doubles[row]
                if value.isFinite {
                    TextFormatting.appendFinite(value, to: &out)
                } else {
                    JSONValue.appendNonFinite(isNaN: value.isNaN, isNegative: value < 0, to: &out)
                }
            }
        case .bool:
            chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                TextFormatting.appendASCII(column.bools[row] ? "true" : "false", to: &out)
            }
        case .string:
            column.bytes.withUnsafeBufferPointer { bytes in
                chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                    JSONValue.appendQuoted(UnsafeBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]]), to: &out)
                }
            }
        case .bytes:
            column.bytes.withUnsafeBufferPointer { bytes in
                chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                    out.append(UInt8(ascii: "\""))
                    TextFormatting.appendBase64(UnsafeBufferPointer(rebasing: bytes[column.offsets[row]..<column.offsets[row + 1]]), to: &out)
                    out.append(UInt8(ascii: "\""))
                }
            }
        case .vector(let dimension):
            chunk.appendCells(rows, validity: column.validity, null: "null") { row, out in
                out.append(UInt8(ascii: "["))
                let start = row * dimension
                for i in start..<(start + dimension) {
                    if i > start { out.append(UInt8(ascii: ",")) }
                    let value = column.floats[i]
                    if value.isFinite {
                        TextFormatting.appendFinite(value, to: &out)
                    } else {
                        JSONValue.appendNonFinite(isNaN: value.isNaN, isNegative: value < 0, to: &out)
                    }
                }
                out.append(UInt8(ascii: "]"))
            }
        }
    }
}
