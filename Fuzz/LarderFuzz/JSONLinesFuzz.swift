@testable import Larder

/// The JSON Lines reader under fuzzing: objects read from a byte source
/// into the columns of ``FuzzView/view``, then typed and validated.
///
/// The payload is read twice: through a pipe in small chunks and small
/// batches, and at once from memory; their ``Transcript``s must agree, and
/// agree with Foundation's reading of each line (``JSONOracle``). The
/// chunked read's batches are typed and validated.
///
/// Settings byte 0: bits 0–4 the ingest options (``FuzzView/options(_:settingsByte:)``;
/// bit 4 also ignores unknown keys), bit 5 keep raw records, bits 6–7 the
/// line limit (64 MiB, 64, 8 or 1 bytes). Settings byte 1: bits 0–3 the
/// chunk size − 1, bits 4–6 the batch size − 1.
public enum JSONLinesFuzz {
    /// Reads `data`; traps only when an invariant breaks.
    public static func run(_ data: UnsafeRawBufferPointer) {
        let input = FuzzInput(data, settings: 2)
        let options = FuzzView.options(input, settingsByte: 0)
        let keepRaw = input.flag(0, bit: 5)
        let maxLineBytes = [JSONLinesReader.defaultMaxLineBytes, 64, 8, 1][input.bits(0, 6...7)]
        let chunked = read(input.payload, chunkSize: input.bits(1, 0...3) + 1, maxRows: input.bits(1, 4...6) + 1,
                           keepRaw: keepRaw, maxLineBytes: maxLineBytes, options: options, typing: true)
        let whole = read(input.payload, chunkSize: nil, maxRows: 1 << 16, keepRaw: keepRaw,
                         maxLineBytes: maxLineBytes, options: options, typing: false)
        invariant(chunked.agrees(with: whole), "chunked and whole reads differ: \(chunked.difference(from: whole))")
        JSONOracle.check(whole, payload: input.payload, columns: FuzzView.jsonColumns(options))
    }

    /// Reads `payload` (from memory when `chunkSize` is nil) in batches of
    /// up to `maxRows` records, checking each batch's shape and, when
    /// `typing`, typing and validating it with `options`.
    private static func read(_ payload: UnsafeRawBufferPointer, chunkSize: Int?, maxRows: Int, keepRaw: Bool,
                             maxLineBytes: Int, options: IngestOptions, typing: Bool) -> Transcript {
        var transcript = Transcript()
        let columns = FuzzView.jsonColumns(options)
        do {
            let source = try FuzzSource.make(payload, chunkSize: chunkSize)
            var reader = JSONLinesReader(source: source, fileName: "fuzz.jsonl", columns: columns,
                                         ignoreUnknownKeys: options.ignoreUnknownColumns, keepRawRecords: keepRaw,
                                         maxLineBytes: maxLineBytes)
            let check = typing ? TypingCheck(names: columns, options: options, isJSON: true) : nil
            invariant(!typing || check != nil, "the view's own columns do not map onto it")
            var batch = RawBatch()
            while try reader.next(into: &batch, maxRows: maxRows) {
                invariant(batch.rowCount + batch.badRecords.count <= maxRows, "batch larger than asked")
                batch.checkShape(kinds: [.missing, .null, .text, .number, .boolean, .array])
                transcript.append(batch)
                check?.check(batch)
            }
            invariant(reader.bytesRead == payload.count, "input not consumed to the end")
            invariant(source.contentSHA256 == SHA256.hash(payload), "content hash differs from the input's")
        } catch {
            transcript.error = error.description
        }
        return transcript
    }
}
