/// Reads a spine (the entity/timestamp rows a training set is built for)
/// from a CSV, JSON Lines or Arrow IPC file into a ``FeatureFrame``.
///
/// Join key columns are typed by their entity (`int64` or `string`; an empty
/// field is a null key, which gets null features) under the backfill's rules
/// (in JSON Lines an `int64` key is a JSON number and a `string` key a JSON
/// string), `event_timestamp` is
/// parsed as a timestamp (RFC 3339, or an epoch with a time unit), and every
/// other CSV column is typed as ``SpineTypes`` says (asked for with
/// `spineTypes`, else inferred when its text round-trips) and passed
/// through. JSON Lines spines keep only the join keys and `event_timestamp`.
/// An Arrow IPC spine (a stream or a file, told by its first bytes or its
/// extension) keeps every column with its Arrow type (see ``readArrow(_:path:joinKeys:options:)``).
public enum SpineReader {
    /// Reads the spine from `source`, and the SHA-256 of its bytes.
    ///
    /// - Parameters:
    ///   - joinKeys: the join keys of every requested view's entity.
    ///   - options: `format`, `assumeUTC`, `timeUnit` and `eventTimeColumn` apply.
    /// - Throws: ``LarderError/spineRejected(problems:total:)`` naming
    ///   file:line:column for a value that does not parse, a missing key or
    ///   event time column, a broken record.
    public static func read(_ input: Source, joinKeys: [JoinKey],
                            options: IngestOptions = IngestOptions()) throws(LarderError) -> (frame: FeatureFrame, sha256: String) {
        do {
            return try readRows(input, joinKeys: joinKeys, options: options)
        } catch where !error.problems.isEmpty {
            // The readers refuse a broken record as an input's ("nothing was written"); a read writes nothing.
            throw .spineRejected(problems: error.problems, total: error.totalProblems)
        }
    }

    /// ``read(_:joinKeys:options:)``, with the readers' refusals as they throw them.
    private static func readRows(_ input: Source, joinKeys: [JoinKey],
                                 options: IngestOptions) throws(LarderError) -> (frame: FeatureFrame, sha256: String) {
        let path = input.description
        let source = try ByteSource(input)
        let format = try ArrowIPCReader.format(of: source, options: options)
        if format == .arrow {
            let frame = try readArrow(source.readAll(), path: path, joinKeys: joinKeys, options: options)
            return (frame, source.contentSHA256)
        }
        let isJSON = format.isJSON
        var (reader, names) = try openRecordReader(source: source, format: format,
                                                   jsonColumns: joinKeys.map(\.name) + [options.eventTimeColumn],
                                                   ignoreUnknownKeys: true, keepRawRecords: false)
        var problems = SpineProblems(file: path)
        func problem(_ line: Int, _ column: String, _ value: String, _ reason: String) { problems.add(line, column, value, reason) }
        for key in joinKeys where !names.contains(key.name) { problem(1, key.name, "", "join key column is missing from the spine") }
        guard let eventIndex = names.firstIndex(of: options.eventTimeColumn) else {
            problem(1, options.eventTimeColumn, "", "the spine has no event time column")
            throw problems.error
        }
        SpineTypes.check(options.spineTypes, names: names, joinKeys: joinKeys, options: options) { problem(1, $0, "", $1) }
        guard problems.isEmpty else { throw problems.error }
        let keyTypes = Dictionary(joinKeys.map { ($0.name, $0.type) }, uniquingKeysWith: { a, _ in a })
        var columns: [Column] = names.enumerated().map { i, name in
            if i == eventIndex { return Column(type: .timestamp) }
            return Column(type: keyTypes[name]?.featureType ?? .string)
        }
        var raw = RawBatch()
        var lines: [Int] = []
        while try reader.next(into: &raw, maxRows: 65_536) {
            lines += raw.lines[0..<raw.rowCount]
            for bad in raw.badRecords { problem(bad.line, bad.problem.column, bad.problem.value, bad.problem.reason) }
            raw.withArena { arena in
                for row in 0..<raw.rowCount {
                    for c in 0..<names.count {
                        let cell = row * raw.columnCount + c
                        let kind = raw.kinds[cell]
                        let bytes = UnsafeRawBufferPointer(rebasing: arena[raw.starts[cell]..<(raw.starts[cell] + Int(raw.lengths[cell]))])
                        if kind == .null || kind == .missing {
                            columns[c].appendNull()
                            if c == eventIndex { problem(raw.lines[row], names[c], "", "event time is empty") }
                            continue
                        }
                        switch columns[c].type {
                        case .timestamp:
                            switch FieldParser.timestamp(bytes, kind: kind, options: options) {
                            case .success(let t): columns[c].append(t)
                            case .failure(let reason):
                                columns[c].appendNull()
                                problem(raw.lines[row], names[c], String(decoding: bytes, as: UTF8.self), reason.reason)
                            }
                        case .int64:
                            if let v = FieldParser.int64(bytes), (kind == .text && !isJSON) || kind == .number { columns[c].append(v) } else {
                                columns[c].appendNull()
                                problem(raw.lines[row], names[c], String(decoding: bytes, as: UTF8.self),
                                        isJSON && kind != .number ? "expected int64, found a JSON \(kind)" : "not an int64")
                            }
                        default:
                            if keyTypes[names[c]] == .string, kind != .text {
                                columns[c].appendNull()
                                problem(raw.lines[row], names[c], String(decoding: bytes, as: UTF8.self), "expected string, found a JSON \(kind)")
                            } else {
                                columns[c].append(bytes: bytes)
                            }
                        }
                    }
                }
            }
        }
        if !isJSON {
            for c in names.indices where c != eventIndex && keyTypes[names[c]] == nil {
                columns[c] = SpineTypes.type(columns[c], asked: options.spineTypes[names[c]], options: options) { row, value, reason in
                    problem(lines[row], names[c], value, reason)
                }
            }
        }
        guard problems.isEmpty else { throw problems.error }
        source.consume(source.unconsumed.count)
        return (FeatureFrame(names: names, columns: columns), source.contentSHA256)
    }
}
