extension ValidationProblem {
    /// The problem of row `row` of `batch`, which repeats the key, event and
    /// created time of a row of the same run written to `view`'s table: the
    /// one wording of a duplicate within a run, whichever engine finds it.
    package static func duplicate(_ row: Int, of batch: WriteBatch, in view: FeatureView, file: String) -> ValidationProblem {
        let key = batch.keys.map { $0.value(row).description }.joined(separator: ", ")
        return ValidationProblem(file: file, line: batch.lines[row], column: view.joinKeys.map(\.name).joined(separator: ","),
                                 value: key,
                                 reason: "duplicate (key, event_timestamp, created_timestamp) = (\(key), \(Timestamp.format(batch.eventTimes[row])), \(Timestamp.format(batch.createdTimes[row]))) within this run")
    }
}
