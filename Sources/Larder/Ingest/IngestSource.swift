/// Where an ingest run's rows come from. A source reads its input batch by
/// batch, each typed into the view's columns or still to be typed
/// (``SourceBatch``); ``IngestPipeline`` types, validates, sorts and writes
/// what it hands over, the same way for every source.
protocol IngestSource: Sendable {
    /// The run's `source` and the file name in problem messages: the path,
    /// `-` for standard input, `write` for a frame from the library.
    var label: String { get }

    /// The file read, which no output of the run may replace (nil for a frame).
    var inputPath: String? { get }

    /// Whether the input is in memory and small (at most
    /// ``FileSource/inlineBytes`` bytes; a frame of at most
    /// ``IngestPipeline/handoffRows`` rows), so that the pipeline reads it
    /// on the calling thread rather than on threads of its own.
    var isSmallInMemory: Bool { get }

    /// The content hash, when it can be known before any row is read (a
    /// frame; a file, by reading it once); nil for standard input.
    func hashBeforeReading() throws(LarderError) -> String?

    /// Reads the input in batches of at most `options.readRows` records
    /// (or typed rows at once), in input order, handing each to `emit`
    /// until the input ends or `emit` returns false; returns the content
    /// hash (SHA-256).
    func produce(view: FeatureView, options: IngestOptions, started: Int64, clock: Stopwatch,
                 emit: (SourceBatch) throws(LarderError) -> Bool) throws(LarderError) -> String
}

/// A batch a source has read: typed already (a frame), or records split
/// into fields that ``type(appendingTo:capacity:)`` types, on whichever
/// thread calls it (the pipeline's typing thread), so that splitting the
/// next batch and typing this one can run side by side.
enum SourceBatch: Sendable {
    /// Rows already typed.
    case typed(TypedBatch)
    /// Records split into fields; `typer` types them, `keepRaw` keeps each
    /// row's raw text (skip mode), `progress` is the progress after them,
    /// and the emptied batch goes back to `pool` for the next one.
    case raw(RawBatch, typer: BatchTyper, keepRaw: Bool, progress: IngestProgress, pool: RawBatchPool)

    /// Whether the rows are typed already (a frame): they go on as one batch.
    var isTyped: Bool {
        if case .typed = self { true } else { false }
    }

    /// The typed rows appended to `typed` (problems found while typing
    /// logged against them), which starts with room for `capacity` rows
    /// when nil. A batch typed already replaces `typed`, which must be nil.
    consuming func type(appendingTo typed: inout TypedBatch?, capacity: Int) {
        switch consume self {
        case .typed(let batch):
            precondition(typed == nil, "typed rows appended to others")
            typed = batch
        case .raw(let raw, let typer, let keepRaw, let progress, let pool):
            var appended = typed ?? TypedBatch(batch: WriteBatch(view: typer.view, capacity: max(capacity, raw.rowCount)),
                                               log: ProblemLog(), progress: progress)
            typed = nil // one reference: appending does not copy
            appended.log.extendBatch(rows: raw.rowCount)
            typer.type(raw, into: &appended.batch, log: &appended.log)
            appended.badRecords += raw.badRecords
            if keepRaw { appended.raw += (0..<raw.rowCount).map { raw.rawRecord(row: $0) ?? [] } }
            appended.progress = progress
            pool.put(consume raw) // the pool's is the only reference: the reader refills it in place
            typed = appended
        }
    }
}

/// A batch a source has typed, before validation.
struct TypedBatch: Sendable {
    /// The rows, in input order.
    var batch: WriteBatch
    /// The problems found while typing (rows marked bad).
    var log: ProblemLog
    /// Records that could not be split into fields.
    var badRecords: [BadRecord] = []
    /// The raw text of each row (kept in skip mode, for the reject file).
    var raw: [ArraySlice<UInt8>] = []
    /// Progress after this batch.
    var progress: IngestProgress
}

/// A CSV, JSON Lines or Arrow IPC file, or standard input.
struct FileSource: IngestSource {
    let source: Source
    /// How messages and the run name the input, when not by its path (a
    /// backfill command's output, named by its interval).
    var name: String?

    var label: String { name ?? source.description }

    var inputPath: String? { source.path }

    /// The most bytes of an input in memory read on the calling thread.
    static let inlineBytes = 1 << 20

    var isSmallInMemory: Bool {
        if case .memory(_, let bytes) = source { return bytes.count <= FileSource.inlineBytes }
        return false
    }

    func hashBeforeReading() throws(LarderError) -> String? {
        try source.path.map { path throws(LarderError) in try ByteSource.sha256(path: path) }
    }

    func produce(view: FeatureView, options: IngestOptions, started: Int64, clock: Stopwatch,
                 emit: (SourceBatch) throws(LarderError) -> Bool) throws(LarderError) -> String {
        let keepRaw = options.onError == .skip
        let path = label
        let source = try ByteSource(self.source)
        let format = try ArrowIPCReader.format(of: source, options: options)
        if format == .arrow {
            let frame = try ArrowIngest.frame(source.readAll(), name: path, view: view, options: options)
            _ = try FrameSource(frame: frame, label: path, sha256: "").produce(view: view, options: options, started: started,
                                                                             clock: clock, emit: emit)
            return source.contentSHA256
        }
        let jsonColumns = view.joinKeys.map(\.name) + [options.eventTimeColumn, options.createdTimeColumn] + view.features.map(\.name)
        var (reader, names) = try openRecordReader(source: source, format: format, jsonColumns: jsonColumns,
                                                   ignoreUnknownKeys: options.ignoreUnknownColumns, keepRawRecords: keepRaw)
        let mapping = try InputMapping.make(names: names, view: view, options: options, file: path)
        let typer = BatchTyper(view: view, mapping: mapping, options: options, file: path, names: names,
                               isJSON: format.isJSON, defaultCreated: started)
        let pool = RawBatchPool()
        var rowsRead = 0
        while true {
            var raw = pool.take()
            guard try reader.next(into: &raw, maxRows: options.readRows) else { break }
            rowsRead += raw.rowCount + raw.badRecords.count
            let progress = IngestProgress(rows: rowsRead, bytesRead: reader.bytesRead, totalBytes: reader.totalBytes, seconds: clock.seconds)
            guard try emit(.raw(raw, typer: typer, keepRaw: keepRaw, progress: progress, pool: pool)) else { break }
        }
        source.consume(source.unconsumed.count)
        return source.contentSHA256
    }
}

/// Typed columns from the library (``FeatureStore/write(view:version:frame:options:)``):
/// one batch, already typed; only the column types are checked.
struct FrameSource: IngestSource {
    let frame: FeatureFrame
    /// The frame's content hash, computed once.
    let sha256: String
    /// How messages and the run name the input: `write`, or the Arrow file's path.
    let label: String

    init(frame: FeatureFrame) {
        self.init(frame: frame, label: "write", sha256: frame.contentSHA256())
    }

    /// The frame read from a file (Arrow) called `label`, whose bytes hash to `sha256`.
    init(frame: FeatureFrame, label: String, sha256: String) {
        self.frame = frame
        self.label = label
        self.sha256 = sha256
    }

    var inputPath: String? { nil }

    var isSmallInMemory: Bool { frame.rowCount <= IngestPipeline<FrameSource>.handoffRows }

    func hashBeforeReading() throws(LarderError) -> String? { sha256 }

    func produce(view: FeatureView, options: IngestOptions, started: Int64, clock: Stopwatch,
                 emit: (SourceBatch) throws(LarderError) -> Bool) throws(LarderError) -> String {
        let mapping = try InputMapping.make(names: frame.names, view: view, options: options, file: label)
        var batch = WriteBatch(view: view, capacity: frame.rowCount)
        batch.lines = Array(stride(from: 1, through: frame.rowCount, by: 1))
        func typed(_ index: Int, _ expected: FeatureType, _ name: String) throws(LarderError) -> Column {
            let column = frame.columns[index]
            guard column.type == expected || (expected == .timestamp && column.type == .int64) else {
                throw .invalidInput("column \"\(frame.names[index])\" is \(column.type), but \(name) is \(expected)")
            }
            return column
        }
        for (k, key) in view.joinKeys.enumerated() {
            batch.keys[k] = try typed(mapping.keys[k], key.type.featureType, "join key \(key.name)")
        }
        var log = ProblemLog()
        log.startBatch(rows: frame.rowCount)
        let event = try typed(mapping.event, .timestamp, "event_timestamp")
        for row in 0..<frame.rowCount {
            batch.eventTimes.append(event.ints[row])
            if !event.validity[row] {
                log.add(ValidationProblem(file: label, line: row + 1, column: frame.names[mapping.event], value: "", reason: "event time is null"), row: row)
            }
        }
        if let created = mapping.created {
            let column = try typed(created, .timestamp, "created_timestamp")
            for row in 0..<frame.rowCount { batch.createdTimes.append(column.validity[row] ? column.ints[row] : started) }
        } else {
            batch.createdTimes = Array(repeating: started, count: frame.rowCount)
        }
        for (f, feature) in view.features.enumerated() {
            if let index = mapping.features[f] {
                batch.features[f] = try typed(index, feature.type, "feature \(feature.name)")
            } else {
                var nulls = Column(type: feature.type, capacity: frame.rowCount)
                for _ in 0..<frame.rowCount { nulls.appendNull() }
                batch.features[f] = nulls
            }
        }
        _ = try emit(.typed(TypedBatch(batch: batch, log: log, progress: IngestProgress(rows: frame.rowCount, bytesRead: 0, totalBytes: nil,
                                                                                        seconds: clock.seconds))))
        return sha256
    }
}

extension FeatureFrame {
    /// SHA-256 over the names, types, validity and value buffers of every column.
    func contentSHA256() -> String {
        var h = SHA256()
        for (name, column) in zip(names, columns) {
            h.update(Array("\(name):\(column.type):\(column.count);".utf8))
            column.validity.words.withUnsafeBytes { h.update($0) }
            column.ints.withUnsafeBytes { h.update($0) }
            column.doubles.withUnsafeBytes { h.update($0) }
            h.update(column.bools.map { $0 ? 1 : 0 })
            column.offsets.withUnsafeBytes { h.update($0) }
            column.bytes.withUnsafeBytes { h.update($0) }
            column.floats.withUnsafeBytes { h.update($0) }
        }
        return h.finalize()
    }
}
