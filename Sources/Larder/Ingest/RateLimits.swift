/// The andon on rates (docs/quality.md): before a run commits, its
/// statistics are held to each feature's `max_null_rate` and
/// `max_reject_rate` and to the run's ``IngestOptions/maxRejectRate``; a run
/// above any of them is refused as a whole, even with `--on-error skip`, so
/// nothing of it becomes visible.
struct RateLimits {
    /// The view version written, whose features carry their limits.
    let view: FeatureView
    /// The limit on the whole run's rejects (`--max-reject-rate`).
    let maxRejectRate: Double?

    /// Throws an `invalid_input` error naming every limit exceeded, with the
    /// feature, the rate and the limit, when the run described by
    /// `statistics` (one per feature, in view order, rejections recorded)
    /// exceeds any. A rate equal to its limit passes.
    func check(_ statistics: [FeatureStatistics]) throws(LarderError) {
        var exceeded: [String] = []
        for (feature, s) in zip(view.features, statistics) {
            let e = feature.expectations
            if let limit = e.maxNullRate, s.rows > 0, Double(s.nulls) / Double(s.rows) > limit {
                exceeded.append("feature \(feature.name): null rate \(Self.rate(s.nulls, of: s.rows)) is above its max_null_rate \(Self.percent(limit))")
            }
            if let limit = e.maxRejectRate, s.rowsRead > 0, Double(s.rejected) / Double(s.rowsRead) > limit {
                exceeded.append("feature \(feature.name): reject rate \(Self.rate(s.rejected, of: s.rowsRead)) (\(ViewStatistics.rejections(s.rejectedByRule))) is above its max_reject_rate \(Self.percent(limit))")
            }
        }
        if let limit = maxRejectRate, let any = statistics.first, any.rowsRead > 0,
           Double(any.runRowsRejected) / Double(any.rowsRead) > limit {
            var line = "the run's reject rate \(Self.rate(any.runRowsRejected, of: any.rowsRead)) is above --max-reject-rate \(Self.percent(limit))"
            if let worst = statistics.filter({ $0.rejected > 0 }).max(by: { $0.rejected < $1.rejected }) {
                line += "; most for feature \(worst.name): \(ViewStatistics.rejections(worst.rejectedByRule))"
            }
            exceeded.append(line)
        }
        guard !exceeded.isEmpty else { return }
        throw LarderError.invalidInput("run refused by its rate limits; nothing was written:\n  " + exceeded.joined(separator: "\n  "))
    }

    /// `12.0% (12 of 100 rows)`.
    private static func rate(_ count: Int64, of total: Int64) -> String {
        "\(percent(Double(count) / Double(total))) (\(count) of \(total) rows)"
    }

    /// A fraction as a percentage: one decimal, more when it is small.
    private static func percent(_ fraction: Double) -> String {
        fraction > 0 && fraction < 0.001 ? "\(fraction * 100)%" : ViewStatistics.percent(fraction)
    }
}
