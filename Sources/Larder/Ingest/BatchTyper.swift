/// Which input column feeds each column of a view version.
struct InputMapping: Sendable {
    /// Input column of each join key.
    var keys: [Int]
    /// Input column of the event time.
    var event: Int
    /// Input column of the created time, when the input has one.
    var created: Int?
    /// Input column of each feature, nil when absent (written as null).
    var features: [Int?]

    /// Maps input column `names` (a CSV header) onto `view`, refusing missing
    /// keys, a missing event time, missing features (unless allowed) and
    /// unknown columns (unless ignored).
    static func make(names: [String], view: FeatureView, options: IngestOptions, file: String) throws(LarderError) -> InputMapping {
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
        var problems: [ValidationProblem] = []
        func missing(_ name: String, _ reason: String) {
            problems.append(ValidationProblem(file: file, line: 1, column: name, value: "", reason: reason))
        }
        var keys: [Int] = []
        for key in view.joinKeys {
            if let i = index[key.name] { keys.append(i) } else { missing(key.name, "join key column is missing from the input") }
        }
        let event = index[options.eventTimeColumn]
        if event == nil { missing(options.eventTimeColumn, "event time column is missing from the input (use --event-time-column to name another)") }
        let created = index[options.createdTimeColumn]
        var features: [Int?] = []
        for feature in view.features {
            let i = index[feature.name]
            if i == nil, !options.allowMissingFeatures {
                missing(feature.name, "feature column is missing from the input (pass --allow-missing-features to write nulls)")
            }
            features.append(i)
        }
        if !options.ignoreUnknownColumns {
            let known = Set(view.joinKeys.map(\.name) + view.features.map(\.name) + [options.eventTimeColumn, options.createdTimeColumn])
            for name in names where !known.contains(name) {
                problems.append(ValidationProblem(file: file, line: 1, column: name, value: name,
                                                  reason: "unknown column for \(view.qualifiedName) (pass --ignore-unknown-columns to ignore it)"))
            }
        }
        guard problems.isEmpty, let event else { throw .validation(problems: Array(problems.prefix(ProblemLog.listed)), total: problems.count) }
        return InputMapping(keys: keys, event: event, created: created, features: features)
    }
}

/// Turns raw input fields into typed rows of a view version, recording every
/// value that does not parse or break an expectation as a problem of its row.
struct BatchTyper: Sendable {
    let view: FeatureView
    let mapping: InputMapping
    let options: IngestOptions
    let file: String
    /// Header names, for messages.
    let names: [String]
    /// Whether the input is JSON Lines (its fields carry JSON kinds).
    let isJSON: Bool
    /// Created time for rows without one: when the run started.
    let defaultCreated: Int64

    /// Appends the rows of `raw` to `batch` (row `r` of `raw` becomes row
    /// `batch.count + r`), logging problems against those rows.
    func type(_ raw: RawBatch, into batch: inout WriteBatch, log: inout ProblemLog) {
        let base = batch.count
        let n = raw.rowCount
        batch.lines.append(contentsOf: raw.lines)
        raw.withArena { arena in
            @inline(__always) func cell(_ row: Int, _ column: Int) -> (FieldKind, UnsafeRawBufferPointer) {
                let c = row * raw.columnCount + column
                let start = raw.starts[c]
                return (raw.kinds[c], UnsafeRawBufferPointer(rebasing: arena[start..<(start + Int(raw.lengths[c]))]))
            }
            func problem(_ row: Int, _ column: Int, _ bytes: UnsafeRawBufferPointer, _ reason: String, rule: FeatureRule? = nil) {
                log.add(ValidationProblem(file: file, line: raw.lines[row], column: names[column],
                                          value: String(decoding: bytes, as: UTF8.self), reason: reason), row: base + row, rule: rule)
            }
            // Join keys: present, non-null, typed.
            for (k, key) in view.joinKeys.enumerated() {
                let column = mapping.keys[k]
                for row in 0..<n {
                    let (kind, bytes) = cell(row, column)
                    switch (key.type, kind) {
                    case (_, .null), (_, .missing):
                        batch.keys[k].appendNull()
                        problem(row, column, bytes, "join key is \(kind == .null ? "empty (null)" : "missing")")
                    case (.int64, .text) where !isJSON, (.int64, .number):
                        if let v = FieldParser.int64(bytes) { batch.keys[k].append(v) } else {
                            batch.keys[k].appendNull()
                            problem(row, column, bytes, "not an int64")
                        }
                    case (.string, .text):
                        batch.keys[k].append(bytes: bytes)
                    default:
                        batch.keys[k].appendNull()
                        problem(row, column, bytes, "expected \(key.type), found a JSON \(kind)")
                    }
                }
            }
            // Times.
            for row in 0..<n {
                let (kind, bytes) = cell(row, mapping.event)
                switch timestamp(kind, bytes) {
                case .success(let t): batch.eventTimes.append(t)
                case .failure(let failure):
                    batch.eventTimes.append(0)
                    problem(row, mapping.event, bytes, kind == .null || kind == .missing ? "event time is \(kind == .null ? "empty" : "missing")" : failure.reason)
                }
            }
            if let created = mapping.created {
                for row in 0..<n {
                    let (kind, bytes) = cell(row, created)
                    if kind == .missing || kind == .null {
                        batch.createdTimes.append(defaultCreated)
                        continue
                    }
                    switch timestamp(kind, bytes) {
                    case .success(let t): batch.createdTimes.append(t)
                    case .failure(let failure):
                        batch.createdTimes.append(0)
                        problem(row, created, bytes, failure.reason)
                    }
                }
            } else {
                batch.createdTimes.append(contentsOf: repeatElement(defaultCreated, count: n))
            }
            // Features.
            for (f, feature) in view.features.enumerated() {
                guard let column = mapping.features[f] else {
                    for _ in 0..<n { batch.features[f].appendNull() }
                    continue
                }
                typeFeature(feature, into: &batch.features[f], rows: n) { row in cell(row, column) } problem: { row, bytes, rule, reason in
                    problem(row, column, bytes, reason, rule: FeatureRule(feature: f, rule: rule))
                }
            }
        }
    }

    /// Types one feature column; `problem` gets each refused value with
    /// its rule (`type`, or `missing` for a feature absent from a record) and reason.
    private func typeFeature(_ feature: FeatureDefinition, into column: inout Column, rows n: Int,
                             cell: (Int) -> (FieldKind, UnsafeRawBufferPointer),
                             problem: (_ row: Int, _ value: UnsafeRawBufferPointer, _ rule: String, _ reason: String) -> Void) {
        for row in 0..<n {
            let (kind, bytes) = cell(row)
            if kind == .null {
                column.appendNull()
                continue
            }
            if kind == .missing {
                column.appendNull()
                if !options.allowMissingFeatures {
                    problem(row, bytes, "missing", "feature is missing from this record (pass --allow-missing-features to write null)")
                }
                continue
            }
            switch feature.type {
            case .int64:
                if (kind == .text && !isJSON) || kind == .number, let v = FieldParser.int64(bytes) { column.append(v) } else {
                    column.appendNull()
                    problem(row, bytes, "type", "not an int64")
                }
            case .float64:
                // JSON has no NaN or infinities: JSON Lines spells them "NaN", "Infinity", "-Infinity" (as Larder writes them).
                if (kind == .text && (!isJSON || FieldParser.isNonFiniteWord(bytes))) || kind == .number,
                   let v = FieldParser.double(bytes) { column.append(v) } else {
                    column.appendNull()
                    problem(row, bytes, "type", "not a float64")
                }
            case .bool:
                if (kind == .text && !isJSON) || kind == .boolean, let v = FieldParser.bool(bytes) { column.append(v) } else {
                    column.appendNull()
                    problem(row, bytes, "type", "not a bool (expected true, false, 1 or 0)")
                }
            case .string:
                if kind == .text { column.append(bytes: bytes) } else {
                    column.appendNull()
                    problem(row, bytes, "type", "expected a string, found a JSON \(kind)")
                }
            case .bytes:
                var decoded: [UInt8] = []
                if kind == .text, FieldParser.base64(bytes, into: &decoded) {
                    decoded.withUnsafeBytes { column.append(bytes: $0) }
                } else {
                    column.appendNull()
                    problem(row, bytes, "type", "not base64-encoded bytes")
                }
            case .timestamp:
                switch timestamp(kind, bytes) {
                case .success(let t): column.append(t)
                case .failure(let failure):
                    column.appendNull()
                    problem(row, bytes, "type", failure.reason)
                }
            case .vector(let dimension):
                let before = column.floats.count
                if kind == .text || kind == .array, let count = FieldParser.vector(bytes, into: &column.floats) {
                    if count == dimension {
                        column.validity.append(true)
                    } else {
                        column.floats.removeLast(count)
                        column.appendNull()
                        problem(row, bytes, "type", "vector has \(count) values, the feature has \(dimension)")
                    }
                } else {
                    column.floats.removeLast(column.floats.count - before)
                    column.appendNull()
                    problem(row, bytes, "type", "not a vector (expected e.g. [0.5, 1, -2])")
                }
            }
        }
    }

    private func timestamp(_ kind: FieldKind, _ bytes: UnsafeRawBufferPointer) -> Result<Int64, TimestampFailure> {
        FieldParser.timestamp(bytes, kind: kind, options: options)
    }
}

/// Why a timestamp field was refused.
struct TimestampFailure: Error {
    var reason: String
}
