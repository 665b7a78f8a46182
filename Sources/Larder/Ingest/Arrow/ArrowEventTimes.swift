/// The event times of an Arrow input, by the rules of a CSV's (semantics §4):
/// a timestamp with a time zone or a date is a time; a timestamp without one
/// is read as UTC only with `assumeUTC` (`--assume-utc`), as text without an
/// offset is; integers are epochs only with a `timeUnit` (`--time-unit`);
/// strings are parsed as in CSV.
enum ArrowEventTimes {
    /// `column` (of `field`) as timestamps; `problem(row, value, reason)`
    /// hears of each row that is not a time (row -1: the whole column).
    static func column(_ column: Column, field: ArrowField, options: IngestOptions,
                       problem: (Int, String, String) -> Void) -> Column {
        switch field.type {
        case .timestamp(_, zoned: true), .date:
            return column
        case .timestamp(_, zoned: false):
            if !options.assumeUTC {
                problem(-1, "", "the Arrow timestamps have no time zone; pass --assume-utc (assume_utc=true) to read them as UTC")
            }
            return column
        case .int:
            guard let unit = options.timeUnit else {
                problem(-1, "", "an integer event time needs --time-unit s|ms|us")
                return column
            }
            var times = Column(type: .timestamp, capacity: column.count)
            for row in 0..<column.count {
                guard column.isValid(row) else { times.appendNull(); continue }
                let (micros, overflow) = column.ints[row].multipliedReportingOverflow(by: unit.microseconds)
                guard !overflow, Timestamp.supported.contains(micros) else {
                    problem(row, "\(column.ints[row])", "epoch is outside years 0001–9999 (UTC)")
                    times.appendNull()
                    continue
                }
                times.append(micros)
            }
            return times
        case .utf8:
            var times = Column(type: .timestamp, capacity: column.count)
            for row in 0..<column.count {
                guard column.isValid(row) else { times.appendNull(); continue }
                let text = column.byteSlice(row)
                let parsed = text.withUnsafeBytes { FieldParser.timestamp($0, kind: .text, options: options) }
                switch parsed {
                case .success(let micros): times.append(micros)
                case .failure(let failure):
                    problem(row, String(decoding: text, as: UTF8.self), failure.reason)
                    times.appendNull()
                }
            }
            return times
        case .float, .bool:
            problem(-1, "", "the event time column is \(field.type.featureType), not a timestamp")
            return column
        }
    }
}
