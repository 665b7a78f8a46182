import class Foundation.Thread

/// Which stored rows an export includes.
public struct ExportRange: Sendable {
    /// Only rows with `event_timestamp >= from`, when set.
    public var from: Timestamp?
    /// Only rows with `event_timestamp < to`, when set.
    public var to: Timestamp?
    /// Only rows of runs committed at or before `asOf`, when set.
    public var asOf: Timestamp?

    /// Every row.
    public init(from: Timestamp? = nil, to: Timestamp? = nil, asOf: Timestamp? = nil) {
        self.from = from
        self.to = to
        self.asOf = asOf
    }
}

extension FeatureStore {
    /// Streams the rows of `view` at `version` (latest when nil) in `range` to
    /// `destination` in `format`, in primary-key order, 65,536 rows at a time:
    /// columns are the join keys, `event_timestamp`, `created_timestamp`,
    /// `run_id`, then the features. A file is written beside its path and
    /// renamed into place only when the export is complete; a path that is
    /// one of the store's own files is refused before anything is written.
    ///
    /// - Returns: the number of rows written.
    /// - Complexity: O(rows); memory is bounded by three batches (one being
    ///   read, two waiting to be written).
    @discardableResult
    public func export(view: String, version: Int? = nil, range: ExportRange = ExportRange(),
                       format: OutputFormat, to destination: Destination) throws(LarderError) -> Int {
        let outputs = try OutputFiles(store: storage.files, inputs: [], outputs: [.init("output", destination: destination)])
        let pending: PendingFile? = if case .file(let file) = destination { try outputs.file(file) } else { nil }
        return try withReader { state in
            let target = try state.registry.view(view, version: version)
            let names = target.joinKeys.map(\.name) + ["event_timestamp", "created_timestamp", "run_id"] + target.features.map(\.name)
            let types = target.joinKeys.map(\.type.featureType) + [.timestamp, .timestamp, .int64] + target.features.map(\.type)
            // Formatting and writing run on a second thread, so that SQLite's reading and the
            // output's formatting overlap on the machine's two cores.
            let batches = HandoffQueue<[Column]?>(capacity: 2)
            let outcome = HandoffQueue<Result<Int, LarderError>>(capacity: 1)
            let thread = Thread {
                do {
                    let sink = pending.map { ByteSink(pending: $0, commitsOnClose: false) } ?? .standardOutput()
                    var writer = format.makeWriter(sink: sink, names: names, types: types)
                    var total = 0
                    while let next = batches.take(), let batch = next {
                        try writer.write(batch, rows: 0..<batch[0].count)
                        total += batch[0].count
                    }
                    try writer.finish()
                    _ = outcome.put(.success(total))
                } catch {
                    batches.close()
                    _ = outcome.put(.failure(LarderError(error)))
                }
            }
            thread.start()
            var readError: LarderError?
            do {
                try state.session.scan(target, from: range.from?.microseconds, to: range.to?.microseconds, asOf: range.asOf?.microseconds,
                                       batchRows: 65_536) { batch in batches.put(batch) }
            } catch {
                readError = LarderError(error, store: path)
            }
            _ = batches.put(nil)
            let written = outcome.take()
            if let readError { throw readError }
            guard let written else { throw LarderError.io(path: destination.description, message: "the export's writer stopped") }
            let total = try written.get()
            try outputs.commit()
            return total
        }
    }
}
