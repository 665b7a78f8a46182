import Foundation

/// How far one feature's values moved between a baseline set of runs and a
/// current one, computed from the two merged sketches (docs/quality.md):
///
/// - **PSI** (numbers, vector norms): the population stability index over
///   the baseline's deciles, Σ (c − b)·ln(c/b) with each bin's share floored
///   at 10⁻⁴. Bins are (−∞, e₁], (e₁, e₂], …, (e₉, ∞) for the baseline's
///   estimated 10%…90% quantiles e (repeated edges merged, so a value equal
///   to an edge falls in the bin below it in both sets).
/// - **KS** (numbers): the Kolmogorov–Smirnov distance, the largest
///   |F_b(x) − F_c(x)| over every value either sketch retains, F the
///   sketch's estimated CDF (≤ x): within twice the KLL rank error of the true one.
/// - **JS** (strings, bools): the Jensen–Shannon distance (base 2, 0…1)
///   between the shares of the values either sketch reports as frequent,
///   the rest of the rows pooled as one "other" value.
/// - **Null rate** (every type): the change of nulls/rows, in points.
/// - **Reject rate** (every type): the change of the share of rows read
///   that were rejected (`--on-error skip`) for the feature's value, in points.
public struct FeatureDrift: Sendable, Equatable {
    /// The feature's name.
    public let name: String
    /// The feature's type.
    public let type: FeatureType
    /// Population stability index (numbers), nil when either side has no value.
    public let psi: Double?
    /// Kolmogorov–Smirnov distance (numbers), nil when either side has no value.
    public let ks: Double?
    /// Jensen–Shannon distance (strings, bools), nil when either side has no value.
    public let js: Double?
    /// The baseline's null rate.
    public let baselineNullRate: Double
    /// The current null rate.
    public let currentNullRate: Double
    /// The baseline's reject rate: rows rejected for this feature's value over rows read.
    public let baselineRejectRate: Double
    /// The current reject rate.
    public let currentRejectRate: Double
    /// The thresholds this feature was held to: the report's, with the
    /// feature's own overrides (definitions, `--threshold`) applied.
    public let thresholds: DriftThresholds
    /// The rules that fired, with their figures (`psi 0.31 ≥ 0.2`); empty when the feature did not drift.
    public let fired: [String]

    /// Whether any rule fired.
    public var drifted: Bool { !fired.isEmpty }

    /// The change in null rate (current − baseline), as a fraction.
    public var nullRateChange: Double { currentNullRate - baselineNullRate }

    /// The change in reject rate (current − baseline), as a fraction.
    public var rejectRateChange: Double { currentRejectRate - baselineRejectRate }

    /// Compares `current` with `baseline` (statistics of the same feature).
    package init(baseline: FeatureStatistics, current: FeatureStatistics, thresholds: DriftThresholds) {
        name = baseline.name
        type = baseline.type
        let b = baseline.quantiles.flatMap { $0.isEmpty ? nil : $0.sortedView() }
        let c = current.quantiles.flatMap { $0.isEmpty ? nil : $0.sortedView() }
        if let b, let c {
            psi = FeatureDrift.psi(baseline: b, current: c)
            ks = FeatureDrift.ks(b, c)
        } else {
            psi = nil
            ks = nil
        }
        if let bf = baseline.frequent, let cf = current.frequent, bf.total > 0, cf.total > 0 {
            js = FeatureDrift.js(bf, cf)
        } else {
            js = nil
        }
        func rate(_ s: FeatureStatistics) -> Double { s.rows > 0 ? Double(s.nulls) / Double(s.rows) : 0 }
        baselineNullRate = rate(baseline)
        currentNullRate = rate(current)
        func rejectRate(_ s: FeatureStatistics) -> Double { s.rowsRead > 0 ? Double(s.rejected) / Double(s.rowsRead) : 0 }
        baselineRejectRate = rejectRate(baseline)
        currentRejectRate = rejectRate(current)
        self.thresholds = thresholds
        var fired: [String] = []
        func check(_ label: String, _ value: Double?, _ limit: Double) {
            if let value, value >= limit { fired.append("\(label) \(FeatureDrift.figure(value)) ≥ \(FeatureDrift.figure(limit))") }
        }
        check("psi", psi, thresholds.psi)
        check("ks", ks, thresholds.ks)
        check("js", js, thresholds.js)
        if current.rows > 0, baseline.rows > 0, currentNullRate - baselineNullRate >= thresholds.nullRateIncrease {
            fired.append("null rate \(FeatureDrift.points(baselineNullRate)) → \(FeatureDrift.points(currentNullRate)) (+\(FeatureDrift.points(currentNullRate - baselineNullRate)) ≥ +\(FeatureDrift.points(thresholds.nullRateIncrease)))")
        }
        if current.rowsRead > 0, baseline.rowsRead > 0, currentRejectRate - baselineRejectRate >= thresholds.rejectRateIncrease {
            fired.append("reject rate \(FeatureDrift.points(baselineRejectRate)) → \(FeatureDrift.points(currentRejectRate)) (+\(FeatureDrift.points(currentRejectRate - baselineRejectRate)) ≥ +\(FeatureDrift.points(thresholds.rejectRateIncrease)))")
        }
        self.fired = fired
    }

    /// The smallest share a PSI bin counts with, so an empty bin does not make the index infinite.
    static let psiFloor = 1e-4

    static func psi(baseline b: KLLSortedView, current c: KLLSortedView) -> Double {
        var edges: [Double] = []
        for decile in 1...9 {
            if let e = b.quantile(Double(decile) / 10), edges.last != e { edges.append(e) }
        }
        var previous = (b: 0.0, c: 0.0)
        var total = 0.0
        for i in 0...edges.count {
            let rank = i < edges.count ? (b: b.rank(edges[i]), c: c.rank(edges[i])) : (b: 1.0, c: 1.0)
            let pb = Swift.max(rank.b - previous.b, psiFloor), pc = Swift.max(rank.c - previous.c, psiFloor)
            total += (pc - pb) * log(pc / pb)
            previous = rank
        }
        return total
    }

    static func ks(_ b: KLLSortedView, _ c: KLLSortedView) -> Double {
        var worst = 0.0
        for x in b.values + c.values { worst = Swift.max(worst, abs(b.rank(x) - c.rank(x))) }
        return worst
    }

    static func js(_ b: FrequentItems, _ c: FrequentItems) -> Double {
        func shares(_ f: FrequentItems) -> [[UInt8]: Double] {
            Dictionary(f.items.map { ($0.value, Double($0.lowerBound) / Double(f.total)) }, uniquingKeysWith: +)
        }
        let p = shares(b), q = shares(c)
        var keys = Set(p.keys).union(q.keys).map { Optional($0) }
        keys.append(nil) // "other"
        var divergence = 0.0
        for key in keys {
            let pv = key.map { p[$0] ?? 0 } ?? Swift.max(0, 1 - p.values.reduce(0, +))
            let qv = key.map { q[$0] ?? 0 } ?? Swift.max(0, 1 - q.values.reduce(0, +))
            let m = (pv + qv) / 2
            if pv > 0 { divergence += 0.5 * pv * log2(pv / m) }
            if qv > 0 { divergence += 0.5 * qv * log2(qv / m) }
        }
        return Swift.max(0, divergence).squareRoot()
    }

    /// A figure with three significant decimals.
    static func figure(_ value: Double) -> String { ViewStatistics.number((value * 1000).rounded() / 1000) }

    /// A fraction in percentage points.
    static func points(_ fraction: Double) -> String { ViewStatistics.percent(fraction) }
}

/// The limits a feature's drift figures are held to (docs/quality.md).
public struct DriftThresholds: Sendable, Equatable {
    /// Population stability index at or above which a number drifted (default 0.2).
    public var psi = 0.2
    /// Kolmogorov–Smirnov distance at or above which a number drifted (default 0.1).
    public var ks = 0.1
    /// Jensen–Shannon distance at or above which a category drifted (default 0.1).
    public var js = 0.1
    /// Rise in null rate (a fraction: 0.05 is 5 points) at or above which any feature drifted (default 0.05).
    public var nullRateIncrease = 0.05
    /// Rise in reject rate (a fraction: 0.05 is 5 points) at or above which any feature drifted (default 0.05).
    public var rejectRateIncrease = 0.05

    /// The defaults.
    public init() {}
}
