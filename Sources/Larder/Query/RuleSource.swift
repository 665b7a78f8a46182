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
    /// The distinct keys of `view` with a row visible at `asOf`, ascending,
    /// as one column per join key.
    func keys(of view: FeatureView, asOf: Int64) throws -> [Column]
}
