/// Drift thresholds that replace some of the defaults for one feature: from
/// the definitions (`expect: {drift: {psi: 0.3}}`) or from `larder drift
/// --threshold FEATURE:psi=0.3`. Unset figures keep the thresholds they override.
public struct DriftOverrides: Hashable, Sendable {
    /// Replaces ``DriftThresholds/psi``.
    public var psi: Double?
    /// Replaces ``DriftThresholds/ks``.
    public var ks: Double?
    /// Replaces ``DriftThresholds/js``.
    public var js: Double?
    /// Replaces ``DriftThresholds/nullRateIncrease`` (a fraction: 0.05 is 5 points).
    public var nullRateIncrease: Double?
    /// Replaces ``DriftThresholds/rejectRateIncrease`` (a fraction).
    public var rejectRateIncrease: Double?

    /// Overrides of the figures given; `nil` keeps a figure's threshold.
    public init(psi: Double? = nil, ks: Double? = nil, js: Double? = nil, nullRateIncrease: Double? = nil, rejectRateIncrease: Double? = nil) {
        self.psi = psi
        self.ks = ks
        self.js = js
        self.nullRateIncrease = nullRateIncrease
        self.rejectRateIncrease = rejectRateIncrease
    }

    /// Whether nothing is overridden.
    public var isEmpty: Bool { self == DriftOverrides() }

    /// These overrides, with those `other` sets put over them.
    public func overridden(by other: DriftOverrides) -> DriftOverrides {
        DriftOverrides(psi: other.psi ?? psi, ks: other.ks ?? ks, js: other.js ?? js,
                       nullRateIncrease: other.nullRateIncrease ?? nullRateIncrease,
                       rejectRateIncrease: other.rejectRateIncrease ?? rejectRateIncrease)
    }
}

extension DriftThresholds {
    /// These thresholds with the figures `overrides` sets replaced.
    public func applying(_ overrides: DriftOverrides) -> DriftThresholds {
        var t = self
        t.psi = overrides.psi ?? psi
        t.ks = overrides.ks ?? ks
        t.js = overrides.js ?? js
        t.nullRateIncrease = overrides.nullRateIncrease ?? nullRateIncrease
        t.rejectRateIncrease = overrides.rejectRateIncrease ?? rejectRateIncrease
        return t
    }
}
