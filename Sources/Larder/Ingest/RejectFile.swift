/// The `--reject-file` of `--on-error skip`: one JSON object per rejected
/// record, `{"line": N, "reasons": [...], "record": "raw text"}`.
final class RejectFile {
    private var sink: ByteSink

    init(sink: ByteSink) {
        self.sink = sink
    }

    /// Appends one rejected record.
    func write(line: Int, reasons: [String], raw: some Collection<UInt8>) throws(LarderError) {
        var text = "{\"line\":\(line),\"reasons\":[" + reasons.map(JSONValue.quoted).joined(separator: ",") + "],\"record\":"
        text += JSONValue.quoted(String(decoding: raw, as: UTF8.self)) + "}\n"
        sink.buffer.append(contentsOf: text.utf8)
        try sink.flushIfFull()
    }

    /// Flushes what is buffered.
    func close() throws(LarderError) {
        try sink.close()
    }
}
