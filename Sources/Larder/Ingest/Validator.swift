/// Checks typed rows against a view version's rules: join keys present,
/// times within years 0001–9999 (``Timestamp/supported``), expectations (`not_null`, `min`, `max`, `allowed`, `allow_nan`). The same
/// checks run for every writer (CLI, library, HTTP).
struct Validator {
    let view: FeatureView
    /// Input label for messages (a file name, `-`, or `write`).
    let file: String
    /// The interval event times must fall in, when the run fills one.
    let window: BackfillInterval?
    /// Allowed values of `int64` features with an `allowed` list, by feature index.
    private let allowedInts: [Int: Set<Int64>]
    /// Allowed values of `string` features with an `allowed` list, by feature index.
    private let allowedStrings: [Int: Set<[UInt8]>]

    init(view: FeatureView, file: String, window: BackfillInterval? = nil) {
        self.view = view
        self.file = file
        self.window = window
        var ints: [Int: Set<Int64>] = [:]
        var strings: [Int: Set<[UInt8]>] = [:]
        for (i, feature) in view.features.enumerated() {
            guard let allowed = feature.expectations.allowed else { continue }
            if feature.type == .int64 { ints[i] = Set(allowed.compactMap { Int64($0) }) }
            if feature.type == .string { strings[i] = Set(allowed.map { Array($0.utf8) }) }
        }
        allowedInts = ints
        allowedStrings = strings
    }

    /// Checks rows `rows` of `batch`, logging a problem for each broken rule.
    /// Rows already marked bad are not checked again.
    func check(_ batch: WriteBatch, rows: Range<Int>, log: inout ProblemLog) {
        for (k, key) in view.joinKeys.enumerated() {
            let column = batch.keys[k]
            for row in rows where !column.validity[row] && !log.badRows[row] {
                log.add(problem(batch, row, key.name, "", "join key is null"), row: row)
            }
        }
        for (name, times) in [("event_timestamp", batch.eventTimes), ("created_timestamp", batch.createdTimes)] {
            for row in rows where !log.badRows[row] && !Timestamp.supported.contains(times[row]) {
                log.add(problem(batch, row, name, String(times[row]), Timestamp.ParseError.unsupportedYear.description), row: row)
            }
        }
        if let window {
            for row in rows where !log.badRows[row] && !window.contains(batch.eventTimes[row]) {
                log.add(problem(batch, row, "event_timestamp", Timestamp.format(batch.eventTimes[row]),
                                "outside the interval [\(BackfillInterval.text(window.start)), \(BackfillInterval.text(window.end)))"), row: row)
            }
        }
        for (f, feature) in view.features.enumerated() {
            let e = feature.expectations
            let column = batch.features[f]
            let checksNaN = !e.allowNaN && (feature.type == .float64 || feature.type.isVector)
            guard e.notNull || e.min != nil || e.max != nil || e.allowed != nil || checksNaN || feature.type == .timestamp else { continue }
            for row in rows where !log.badRows[row] {
                guard column.validity[row] else {
                    if e.notNull {
                        log.add(problem(batch, row, feature.name, "", "null, but the feature expects not_null"), row: row,
                                rule: FeatureRule(feature: f, rule: "not_null"))
                    }
                    continue
                }
                if let refusal = broken(e, feature: f, type: feature.type, column: column, row: row) {
                    log.add(problem(batch, row, feature.name, column.value(row).description, refusal.reason), row: row,
                            rule: FeatureRule(feature: f, rule: refusal.rule))
                }
            }
        }
    }

    /// The rule a present value breaks and why, if it breaks one.
    @inline(__always)
    private func broken(_ e: Expectations, feature f: Int, type: FeatureType, column: Column, row: Int) -> (rule: String, reason: String)? {
        switch type {
        case .int64, .timestamp:
            let v = column.ints[row]
            if type == .timestamp, !Timestamp.supported.contains(v) { return ("type", Timestamp.ParseError.unsupportedYear.description) }
            if let min = e.min, Double(v) < min { return ("min", "below min \(format(min))") }
            if let max = e.max, Double(v) > max { return ("max", "above max \(format(max))") }
            if let allowed = allowedInts[f], !allowed.contains(v) { return ("allowed", "not one of the allowed values \(e.allowed!)") }
        case .float64:
            let v = column.doubles[row]
            if v.isNaN { return e.allowNaN ? nil : ("allow_nan", "NaN is not allowed (set allow_nan: true on the feature)") }
            if let min = e.min, v < min { return ("min", "below min \(format(min))") }
            if let max = e.max, v > max { return ("max", "above max \(format(max))") }
        case .string:
            if let allowed = allowedStrings[f], !allowed.contains(Array(column.byteSlice(row))) {
                return ("allowed", "not one of the allowed values \(e.allowed!)")
            }
        case .vector(let n):
            if !e.allowNaN, column.floats[(row * n)..<((row + 1) * n)].contains(where: \.isNaN) {
                return ("allow_nan", "NaN in a vector is not allowed (set allow_nan: true on the feature)")
            }
        case .bool, .bytes:
            break
        }
        return nil
    }

    private func format(_ bound: Double) -> String {
        bound == bound.rounded() && abs(bound) < 1e15 ? String(Int64(bound)) : String(bound)
    }

    private func problem(_ batch: WriteBatch, _ row: Int, _ column: String, _ value: String, _ reason: String) -> ValidationProblem {
        ValidationProblem(file: file, line: batch.lines[row], column: column, value: value, reason: reason)
    }
}
