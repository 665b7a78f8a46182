extension SpineReader {
    /// The spine in the Arrow IPC `bytes` (``ArrowIPCReader``), called `path`
    /// in messages; its rows are numbered from 1 as lines are.
    ///
    /// Every column keeps its type (integers as `int64`, floats as `float64`,
    /// dates and timestamps as `timestamp`, dictionaries as their values); a
    /// join key must have its entity's type; the event time column is read
    /// by ``ArrowEventTimes``; `--spine-types` may type string columns.
    static func readArrow(_ bytes: [UInt8], path: String, joinKeys: [JoinKey],
                          options: IngestOptions) throws(LarderError) -> FeatureFrame {
        let table = try ArrowIPCReader.read(bytes, name: path)
        var frame = table.frame
        var problems = SpineProblems(file: path)
        func problem(_ row: Int, _ column: String, _ value: String, _ reason: String) { problems.add(row, column, value, reason) }
        for key in joinKeys {
            guard let index = frame.index(of: key.name) else {
                problem(1, key.name, "", "join key column is missing from the spine")
                continue
            }
            let type = frame.columns[index].type
            if type != key.type.featureType {
                problem(1, key.name, "", "the join key is \(key.type), but the Arrow column is \(type)")
            }
        }
        guard let event = frame.index(of: options.eventTimeColumn) else {
            problem(1, options.eventTimeColumn, "", "the spine has no event time column")
            throw problems.error
        }
        let name = options.eventTimeColumn
        let times = frame.columns[event]
        for row in 0..<times.count where !times.isValid(row) { problem(row + 1, name, "", "event time is empty") }
        frame.columns[event] = ArrowEventTimes.column(times, field: table.fields[event], options: options) { row, value, reason in
            problem(max(row, 0) + 1, name, value, reason)
        }
        SpineTypes.check(options.spineTypes, names: frame.names, joinKeys: joinKeys, options: options) { problem(1, $0, "", $1) }
        for (column, asked) in options.spineTypes.sorted(by: { $0.key < $1.key }) {
            guard let index = frame.index(of: column), problems.isEmpty else { continue }
            let type = frame.columns[index].type
            if type == .string {
                frame.columns[index] = SpineTypes.type(frame.columns[index], asked: asked, options: options) { row, value, reason in
                    problem(row + 1, column, value, reason)
                }
            } else if type != asked {
                problem(1, column, "", "the Arrow column is \(type); --spine-types can only type string columns")
            }
        }
        guard problems.isEmpty else { throw problems.error }
        return frame
    }
}
