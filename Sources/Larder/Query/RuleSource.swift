/// The point-in-time rule answered by the storage engine, for view versions
/// that are not cached: the same rule as
/// ``PointInTime/match(_:at:in:horizon:)``, stated in the engine's query
/// language (SQLite's: ``SQLiteRule``).
package protocol RuleSource {
    /// The rule for `key` at `time`, horizon `asOf`, over `view`: appends
    /// the winning row's features to `columns` (one per feature of the
    /// view), sets `eventTime` to its event time, and returns `.row` with
    /// its index there. With `status` false a miss is reported as
    /// ``PointInTime/Match/notFound`` without finding out why.
    func match<K: KeyProbe>(_ key: K, at time: Int64, asOf: Int64, in view: FeatureView,
                            into columns: inout [Column], eventTime: inout Int64, status: Bool) throws -> PointInTime.Match
    /// The rule for every row of `keys` (one column per join key of `view`)
    /// at `times`, horizon `asOf`: one match per row, in row order, as
    /// ``match(_:at:asOf:in:into:eventTime:status:)`` gives it, the winners'
    /// features appended to `columns` and their event times to `eventTimes`
    /// (one each per `.row`). A row with a null key component is
    /// ``PointInTime/Match/notFound``. The default asks
    /// ``match(_:at:asOf:in:into:eventTime:status:)`` row by row (cheap in
    /// process, as on SQLite); an engine across a network answers the whole
    /// spine in one query instead.
    func matches(_ keys: [Column], at times: [Int64], asOf: Int64, in view: FeatureView,
                 into columns: inout [Column], eventTimes: inout [Int64], status: Bool) throws -> [PointInTime.Match]
    /// The distinct keys of `view` with a row visible at `asOf`, ascending,
    /// as one column per join key.
    func keys(of view: FeatureView, asOf: Int64) throws -> [Column]
}

extension RuleSource {
    package func matches(_ keys: [Column], at times: [Int64], asOf: Int64, in view: FeatureView,
                         into columns: inout [Column], eventTimes: inout [Int64], status: Bool) throws -> [PointInTime.Match] {
        var eventTime: Int64 = 0
        return try times.indices.map { row in
            if Retrieval.hasNullKey(keys, row) { return .notFound }
            let match = try match(ColumnsKey(columns: keys, row: row), at: times[row], asOf: asOf, in: view, into: &columns,
                                  eventTime: &eventTime, status: status)
            if case .row = match { eventTimes.append(eventTime) }
            return match
        }
    }
}
