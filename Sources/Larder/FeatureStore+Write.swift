import Synchronization

/// Writes: every writer (CLI backfill, library, HTTP push) goes through the
/// same typing, validation and run writer.
extension FeatureStore {
    /// Backfills `view` (at `version`, latest when nil) from a CSV or JSON
    /// Lines file or standard input, as one ingest run.
    ///
    /// With `onError == .stop` any problem rejects the whole run and throws
    /// ``LarderError/validation(problems:total:)`` listing the first 20 as
    /// `FILE:LINE: column COLUMN: value "VALUE": reason`; nothing is written.
    ///
    /// A reject file that is the store's or the input's is refused before
    /// anything is read; it appears, complete, once the run has committed.
    ///
    /// Rows past the first 2^20 are sorted as a whole before they are
    /// written (an external merge sort through scratch files in a private
    /// folder of the system temporary folder, removed when the run ends,
    /// however it ends).
    ///
    /// - Complexity: O(rows log rows); memory is bounded by the page cache,
    ///   a few batches (`options.batchRows`) and one sorted part of 2^20 rows.
    public func backfill(view: String, version: Int? = nil, input: Source, options: IngestOptions = IngestOptions(),
                         progress: (@Sendable (IngestProgress) -> Void)? = nil) throws(LarderError) -> IngestResult {
        try ingest(FileSource(source: input), into: view, version: version, options: options, progress: progress)
    }

    /// Writes a frame of typed columns to `view` as one ingest run.
    ///
    /// The frame holds a column per join key (`int64` or `string`),
    /// `event_timestamp` (a `timestamp` or `int64` column of µs), optionally
    /// `created_timestamp`, and features by name with their declared types.
    /// Rows are validated exactly as a backfill's are; any problem rejects the
    /// whole write (rows are numbered from 1 in messages, as `write:ROW`).
    @discardableResult
    public func write(view: String, version: Int? = nil, frame: FeatureFrame,
                      options: IngestOptions = IngestOptions()) throws(LarderError) -> IngestResult {
        try ingest(FrameSource(frame: frame), into: view, version: version, options: options, progress: nil)
    }

    /// Runs `source` through the ingest pipeline into `view` as one run,
    /// then brings this process's cache up to date and puts the reject file
    /// (skip mode) in place. `beforeCommit` runs inside the run's
    /// transaction, with the session writing it (the backfill ledger).
    /// A small write in memory shares its transaction with the writes
    /// that arrive while another commits (`FeatureStore+GroupCommit.swift`).
    func ingest(_ source: some IngestSource, into view: String, version: Int?, options: IngestOptions,
                progress: (@Sendable (IngestProgress) -> Void)?,
                beforeCommit: ((IngestResult, any StoreSession) throws -> Void)? = nil) throws(LarderError) -> IngestResult {
        if progress == nil, beforeCommit == nil, let result = try ingestPrepared(source, into: view, version: version, options: options) {
            return result
        }
        let outputs = try OutputFiles(store: storage.files, inputs: source.inputPath.map { [.init("input", path: $0)] } ?? [],
                                      outputs: options.rejectFile.map { [.init("reject file", destination: $0)] } ?? [])
        cache.pendingWrites.add(1, ordering: .sequentiallyConsistent)
        defer { cache.pendingWrites.subtract(1, ordering: .sequentiallyConsistent) }
        let result = try withState { state in
            let target = try state.registry.view(view, version: version)
            var written: [WriteBatch]? = nil
            let session = state.session
            let result = try IngestPipeline(view: target, source: source, options: options, progress: progress)
                .run(storage: session, outputs: outputs, written: &written, beforeCommit: beforeCommit.map { body in { try body($0, session) } })
            // The next query in this process sees the run: hand its rows to the cache now.
            if let runID = result.runID {
                let handoffs = written.map { Self.handoffs([(viewID: target.id, runID: runID, batches: $0)]) } ?? []
                try cache.transaction(source: state.session, handoffs: handoffs) { _ in }
            }
            return result
        }
        try outputs.commit()
        return result
    }

    /// Writes rows given as name → value dictionaries: a convenience over
    /// ``write(view:version:frame:options:)`` (each row must have the same
    /// names).
    @discardableResult
    public func write(view: String, version: Int? = nil, rows: [[String: FeatureValue]],
                      options: IngestOptions = IngestOptions()) throws(LarderError) -> IngestResult {
        let target = try registry.view(view, version: version)
        guard let first = rows.first else { throw .invalidInput("nothing to write: no rows") }
        let names = first.keys.sorted()
        var columns: [Column] = []
        for name in names {
            let type: FeatureType
            if let key = target.joinKeys.first(where: { $0.name == name }) {
                type = key.type.featureType
            } else if name == options.eventTimeColumn || name == options.createdTimeColumn {
                type = .timestamp
            } else if let feature = target.features.first(where: { $0.name == name }) {
                type = feature.type
            } else {
                type = .string // an unknown column: reported by validation
            }
            var column = Column(type: type, capacity: rows.count)
            for (i, row) in rows.enumerated() {
                guard let value = row[name] else { throw .invalidInput("row \(i + 1) has no value for \"\(name)\" (use .null for null)") }
                do { try column.append(value) } catch {
                    throw .validation(problems: [ValidationProblem(file: "write", line: i + 1, column: name, value: value.description,
                                                                   reason: "not a \(type)")], total: 1)
                }
            }
            columns.append(column)
        }
        return try write(view: view, version: version, frame: FeatureFrame(names: names, columns: columns), options: options)
    }

    /// The number of rows stored in `view` at `version` (latest when nil).
    public func rowCount(view: String, version: Int? = nil) throws(LarderError) -> Int {
        try withReader { state in
            let target = try state.registry.view(view, version: version)
            return try state.session.rowCount(of: target)
        }
    }

    /// The newest event time among the rows of `view` (version `version`,
    /// latest when nil); `nil` when it has none. What "how fresh is it"
    /// asks besides the last run's commit time.
    ///
    /// - Complexity: O(1): every run keeps it as it commits (a version
    ///   created by a Larder older than store schema 5 is scanned until its
    ///   next run).
    public func newestEventTime(view: String, version: Int? = nil) throws(LarderError) -> Timestamp? {
        try withReader { state in
            let target = try state.registry.view(view, version: version)
            return try state.session.newestEventTime(of: target)
        }
    }

    /// The storage engine's own check of the store (SQLite's
    /// `PRAGMA integrity_check` of the store file): `ok` when sound.
    public func integrityCheck() throws(LarderError) -> String {
        try withReader { state in try state.session.integrityCheck() }
    }

    /// The runs of `view` (every version), newest first; the newest `limit`
    /// of them when a limit is given.
    public func runs(view: String, limit: Int? = nil) throws(LarderError) -> [IngestRun] {
        try withReader { state in
            _ = try state.registry.view(view)
            return try state.session.runs(of: view, limit: limit)
        }
    }
}
