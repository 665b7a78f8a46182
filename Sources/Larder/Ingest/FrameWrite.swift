/// A library write: typed columns to one view version as one ingest run,
/// through the same validation and run writer as a backfill.
struct FrameWrite {
    let view: FeatureView
    let frame: FeatureFrame
    let options: IngestOptions

    func run(db: Connection) throws -> IngestResult {
        let clock = Stopwatch()
        let started = Timestamp.now()
        let file = "write"
        let mapping = try InputMapping.make(names: frame.names, view: view, options: options, file: file)
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
            if !event.validity[row] { log.add(ValidationProblem(file: file, line: row + 1, column: frame.names[mapping.event], value: "", reason: "event time is null"), row: row) }
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
        Validator(view: view, file: file).check(batch, rows: 0..<batch.count, log: &log)
        let order = batch.primaryKeyOrder()
        batch = batch.gathered(order)
        log = log.gathered(order)
        if log.total > 0 { throw log.error }
        let writer = try RunWriter(db: db, view: view, source: file, startedAt: started)
        // Decided inside the run's write transaction, before any row is written.
        let sha = frame.contentSHA256()
        if options.skipIfUnchanged, try writer.committedRun(withContent: sha) != nil {
            writer.rollback()
            return IngestResult(runID: nil, view: view.name, version: view.version, rowsWritten: 0, rowsRejected: 0,
                                contentSHA256: sha, skippedUnchanged: true, seconds: clock.seconds)
        }
        try writer.write(batch, log: &log, file: file)
        if log.total > 0 {
            writer.rollback()
            throw log.error
        }
        try writer.commit(contentSHA256: sha, rejected: 0)
        return IngestResult(runID: writer.runID, view: view.name, version: view.version, rowsWritten: writer.rowsWritten,
                            rowsRejected: 0, contentSHA256: sha, skippedUnchanged: false, seconds: clock.seconds)
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
