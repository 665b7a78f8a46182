@testable import Larder

/// The CSV reader under fuzzing: header and records read from a byte
/// source, then typed and validated for ``FuzzView/view``.
///
/// The payload is read twice: through a pipe in small chunks and small
/// batches, and at once from memory; their ``Transcript``s must agree, and
/// agree with a plain reading of the CSV rules (``CSVOracle``) when the field
/// limit is out of reach. The chunked read's batches are typed and validated.
///
/// Settings byte 0: bits 0–4 the ingest options (``FuzzView/options(_:settingsByte:)``),
/// bit 5 keep raw records, bits 6–7 the field limit (16 MiB, 16, 4 or 1
/// bytes). Settings byte 1: bits 0–3 the chunk size − 1, bits 4–6 the
/// batch size − 1.
public enum CSVFuzz {
    /// Reads `data`; traps only when an invariant breaks.
    public static func run(_ data: UnsafeRawBufferPointer) {
        let input = FuzzInput(data, settings: 2)
        let options = FuzzView.options(input, settingsByte: 0)
        let keepRaw = input.flag(0, bit: 5)
        let maxFieldBytes = [CSVReader.defaultMaxFieldBytes, 16, 4, 1][input.bits(0, 6...7)]
        let chunked = read(input.payload, chunkSize: input.bits(1, 0...3) + 1, maxRows: input.bits(1, 4...6) + 1,
                           keepRaw: keepRaw, maxFieldBytes: maxFieldBytes, options: options, typing: true)
        let whole = read(input.payload, chunkSize: nil, maxRows: 1 << 16, keepRaw: keepRaw,
                         maxFieldBytes: maxFieldBytes, options: options, typing: false)
        invariant(chunked.agrees(with: whole), "chunked and whole reads differ: \(chunked.difference(from: whole))")
        if maxFieldBytes == CSVReader.defaultMaxFieldBytes { CSVOracle(input.payload).check(whole) }
    }

    /// Reads `payload` (from memory when `chunkSize` is nil) in batches of
    /// up to `maxRows` records, checking each batch's shape and, when
    /// `typing`, typing and validating it with `options`.
    private static func read(_ payload: UnsafeRawBufferPointer, chunkSize: Int?, maxRows: Int, keepRaw: Bool,
                             maxFieldBytes: Int, options: IngestOptions, typing: Bool) -> Transcript {
        var transcript = Transcript()
        do {
            let source = try FuzzSource.make(payload, chunkSize: chunkSize)
            var reader = CSVReader(source: source, fileName: "fuzz.csv", keepRawRecords: keepRaw,
                                   maxFieldBytes: maxFieldBytes)
            transcript.header = try reader.readHeader()
            invariant(Set(transcript.header).count == transcript.header.count, "header names are not distinct")
            let check = typing ? TypingCheck(names: transcript.header, options: options, isJSON: false) : nil
            var batch = RawBatch()
            while try reader.next(into: &batch, maxRows: maxRows) {
                invariant(batch.rowCount + batch.badRecords.count <= maxRows, "batch larger than asked")
                batch.checkShape(kinds: [.null, .text])
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
