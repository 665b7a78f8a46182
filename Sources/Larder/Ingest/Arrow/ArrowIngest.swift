/// An Arrow IPC input to a view (a backfill or a push), as the typed frame
/// that ``FrameSource`` writes through the same validation as every run.
enum ArrowIngest {
    /// The columns of `bytes` (called `name` in messages) ready for `view`:
    /// event and created times read by ``ArrowEventTimes``, integer columns
    /// of `float64` features widened. Other type mismatches are refused by
    /// ``FrameSource``.
    ///
    /// - Throws: ``LarderError/validation(problems:total:)`` naming each row
    ///   whose time is not one; an invalid-input error for malformed Arrow.
    static func frame(_ bytes: [UInt8], name: String, view: FeatureView,
                      options: IngestOptions) throws(LarderError) -> FeatureFrame {
        let table = try ArrowIPCReader.read(bytes, name: name)
        var frame = table.frame
        var problems: [ValidationProblem] = []
        var total = 0
        for time in [options.eventTimeColumn, options.createdTimeColumn] {
            guard let index = frame.index(of: time) else { continue }
            frame.columns[index] = ArrowEventTimes.column(frame.columns[index], field: table.fields[index], options: options) { row, value, reason in
                total += 1
                if problems.count < ProblemLog.listed {
                    problems.append(ValidationProblem(file: name, line: max(row, 0) + 1, column: time, value: value, reason: reason))
                }
            }
        }
        guard problems.isEmpty else { throw .validation(problems: problems, total: total) }
        for feature in view.features where feature.type == .float64 {
            guard let index = frame.index(of: feature.name), frame.columns[index].type == .int64 else { continue }
            let ints = frame.columns[index]
            var doubles = Column(type: .float64, capacity: ints.count)
            for row in 0..<ints.count {
                if ints.isValid(row) { doubles.append(Double(ints.ints[row])) } else { doubles.appendNull() }
            }
            frame.columns[index] = doubles
        }
        return frame
    }
}
