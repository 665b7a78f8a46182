/// One feature's figures over a set of runs, read from its merged sketches:
/// exact counts, moments, estimated quantiles (within the KLL rank error),
/// an estimated distinct count and the most frequent values with bounds.
public struct FeatureSummary: Sendable, Equatable {
    /// The feature's name.
    public let name: String
    /// The feature's type.
    public let type: FeatureType
    /// Rows committed (null or not).
    public let rows: Int64
    /// Null values.
    public let nulls: Int64
    /// NaN values (`float64`), or vectors holding a NaN.
    public let nans: Int64
    /// Rows the runs read: committed, or rejected (`--on-error skip`) for any reason.
    public let rowsRead: Int64
    /// Rows rejected because of this feature's value, by the rule that
    /// refused it: `type`, `missing`, `not_null`, `min`, `max`, `allowed`,
    /// `allow_nan` (rules that rejected nothing are absent).
    public let rejectedByRule: [String: Int64]
    /// Values summarized by the moments and quantiles: present numbers (not
    /// NaN), or vector norms; 0 for other types.
    public let count: Int64
    /// The smallest value (vectors: norm), nil when there is none.
    public let min: Double?
    /// The largest value (vectors: norm).
    public let max: Double?
    /// The mean (vectors: norm).
    public let mean: Double?
    /// The sample standard deviation (n − 1), nil below two values.
    public let standardDeviation: Double?
    /// Estimated quantiles at ``quantileLevels`` (exact at 0 and 1).
    public let quantiles: [Quantile]
    /// The distinct-count estimate (strings and bools).
    public let distinct: Double?
    /// The most frequent values, most frequent first (strings and bools, up to 128).
    public let topValues: [TopValue]

    /// The levels `quantiles` are reported at.
    public static let quantileLevels = [0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1]

    /// A quantile estimate.
    public struct Quantile: Sendable, Equatable {
        /// The level, 0…1.
        public let level: Double
        /// The value whose rank is about `level` (within the KLL rank error).
        public let value: Double
    }

    /// A frequent value with the bounds of its count.
    public struct TopValue: Sendable, Equatable {
        /// The value (`true`/`false` for bools).
        public let value: String
        /// At most the true count.
        public let count: Int64
        /// At least the true count.
        public let upperBound: Int64
    }

    /// Null values as a fraction of rows (0 when there are no rows).
    public var nullRate: Double { rows > 0 ? Double(nulls) / Double(rows) : 0 }

    /// Rows rejected because of this feature's value, over every rule.
    public var rejected: Int64 { rejectedByRule.values.reduce(0, +) }

    /// ``rejected`` as a fraction of ``rowsRead`` (0 when no row was read).
    public var rejectRate: Double { rowsRead > 0 ? Double(rejected) / Double(rowsRead) : 0 }

    /// The figures of `statistics`.
    init(_ statistics: FeatureStatistics) {
        name = statistics.name
        type = statistics.type
        rows = statistics.rows
        nulls = statistics.nulls
        nans = statistics.nans
        rowsRead = statistics.rowsRead
        rejectedByRule = statistics.rejectedByRule
        let m = statistics.moments
        count = m.count
        min = m.count > 0 ? m.min : nil
        max = m.count > 0 ? m.max : nil
        mean = m.count > 0 ? m.mean : nil
        standardDeviation = m.standardDeviation
        if let sketch = statistics.quantiles, !sketch.isEmpty {
            let view = sketch.sortedView()
            quantiles = FeatureSummary.quantileLevels.compactMap { q in view.quantile(q).map { Quantile(level: q, value: $0) } }
        } else {
            quantiles = []
        }
        distinct = statistics.distinct?.estimate
        topValues = statistics.frequent?.items.map {
            TopValue(value: String(decoding: $0.value, as: UTF8.self), count: $0.lowerBound, upperBound: $0.upperBound)
        } ?? []
    }

    /// The figures as a JSON object (absent figures as `null`).
    var jsonValue: JSONValue {
        func number(_ d: Double?) -> JSONValue { d.map { JSONValue.double($0) } ?? .null }
        return .object([
            "name": .string(name), "type": .string(type.description), "rows": .int(Int(rows)), "nulls": .int(Int(nulls)),
            "nans": .int(Int(nans)), "null_rate": .double(nullRate), "rows_read": .int(Int(rowsRead)),
            "rejected": .int(Int(rejected)), "reject_rate": .double(rejectRate),
            "rejected_by_rule": .object(rejectedByRule.mapValues { .int(Int($0)) }), "count": .int(Int(count)),
            "min": number(min), "max": number(max), "mean": number(mean), "stddev": number(standardDeviation),
            "quantiles": .array(quantiles.map { .object(["q": .double($0.level), "value": .double($0.value)]) }),
            "distinct": number(distinct),
            "top_values": .array(topValues.map { .object(["value": .string($0.value), "count": .int(Int($0.count)),
                                                          "upper_bound": .int(Int($0.upperBound))]) }),
        ])
    }
}

extension ViewStatistics {
    /// The statistics as one JSON object: `view`, `version`, `runs`,
    /// `runs_without_statistics`, and `features` (one object per feature).
    public func json() -> String {
        JSONValue.object([
            "view": .string(view), "version": .int(version),
            "runs": .array(runs.map { .int(Int($0)) }),
            "runs_without_statistics": .array(runsWithoutStatistics.map { .int(Int($0)) }),
            "features": .array(summaries.map(\.jsonValue)),
        ]).rendered
    }
}
