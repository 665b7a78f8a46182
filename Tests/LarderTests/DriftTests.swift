import Testing
@testable import Larder

/// Drift from merged sketches over many seeded trials: a shifted
/// distribution (mean +1σ, a new dominant category, null rate 0 → 20%) is
/// flagged; an unshifted resample of the same distribution is not (the
/// false-alarm rate is printed and held to at most 2%).
@Suite struct DriftTests {
    static let trials = 50

    /// Statistics of `count` numbers about N(mean, 1) (sum of 12 uniforms), `nullEvery` rows null (0 = none).
    static func numbers(seed: UInt64, count: Int, mean: Double = 0, nullEvery: Int = 0) -> FeatureStatistics {
        var rng = SplitMix64(seed: seed)
        var column = Column(type: .float64)
        for i in 0..<count {
            if nullEvery > 0, i % nullEvery == 0 { column.appendNull(); continue }
            column.append((0..<12).reduce(mean - 6) { acc, _ in acc + Double.random(in: 0..<1, using: &rng) })
        }
        var s = FeatureStatistics(name: "x", type: .float64)
        var scratch: [Double] = []
        s.add(column, skipping: nil, scratch: &scratch)
        return s
    }

    /// Statistics of `count` categories from 20 with weights 1/(i+1); `dominant` replaces half the rows.
    static func categories(seed: UInt64, count: Int, dominant: String? = nil) -> FeatureStatistics {
        var rng = SplitMix64(seed: seed)
        let weights = (0..<20).map { 1.0 / Double($0 + 1) }
        let total = weights.reduce(0, +)
        var column = Column(type: .string)
        for _ in 0..<count {
            if let dominant, Bool.random(using: &rng) { column.append(dominant); continue }
            var u = Double.random(in: 0..<total, using: &rng), i = 0
            while i < 19, u >= weights[i] { u -= weights[i]; i += 1 }
            column.append("category-\(i)")
        }
        var s = FeatureStatistics(name: "c", type: .string)
        var scratch: [Double] = []
        s.add(column, skipping: nil, scratch: &scratch)
        return s
    }

    static func drift(_ a: FeatureStatistics, _ b: FeatureStatistics) -> FeatureDrift {
        FeatureDrift(baseline: a, current: b, thresholds: DriftThresholds())
    }

    @Test func aResampleIsNotFlaggedAndAShiftIs() {
        var falseAlarms = 0, missed = 0
        for t in 0..<Self.trials {
            let seed = UInt64(t) * 3
            let baseline = Self.numbers(seed: seed, count: 4000)
            let resample = Self.drift(baseline, Self.numbers(seed: seed + 1, count: 3000))
            let shifted = Self.drift(baseline, Self.numbers(seed: seed + 2, count: 3000, mean: 1))
            if resample.drifted { falseAlarms += 1 }
            if !(shifted.drifted && shifted.fired.contains { $0.hasPrefix("psi") } && shifted.fired.contains { $0.hasPrefix("ks") }) { missed += 1 }
            #expect(resample.ks! < 0.08 && resample.psi! < 0.05, "trial \(t): \(resample)")
        }
        print("drift, numbers: \(falseAlarms) false alarms and \(missed) missed shifts (mean +1σ) in \(Self.trials) trials")
        #expect(falseAlarms <= Self.trials / 50 && missed == 0)
    }

    @Test func aNewDominantCategoryIsFlagged() {
        var falseAlarms = 0, missed = 0
        for t in 0..<Self.trials {
            let seed = UInt64(t) * 3
            let baseline = Self.categories(seed: seed, count: 4000)
            if Self.drift(baseline, Self.categories(seed: seed + 1, count: 3000)).drifted { falseAlarms += 1 }
            let shifted = Self.drift(baseline, Self.categories(seed: seed + 2, count: 3000, dominant: "new"))
            if !(shifted.drifted && shifted.fired.contains { $0.hasPrefix("js") }) { missed += 1 }
        }
        print("drift, categories: \(falseAlarms) false alarms and \(missed) missed shifts (a new dominant value) in \(Self.trials) trials")
        #expect(falseAlarms <= Self.trials / 50 && missed == 0)
    }

    @Test func aRisingNullRateIsFlagged() {
        for t in 0..<10 {
            let baseline = Self.numbers(seed: UInt64(t), count: 2000)
            let shifted = Self.drift(baseline, Self.numbers(seed: UInt64(t) + 100, count: 2000, nullEvery: 5))
            #expect(shifted.fired.contains { $0.hasPrefix("null rate") } && abs(shifted.nullRateChange - 0.2) < 1e-9)
            #expect(shifted.psi! < 0.2, "the values themselves did not move")
        }
    }

    @Test func thresholdsDecide() {
        let a = Self.numbers(seed: 1, count: 2000), b = Self.numbers(seed: 2, count: 2000, mean: 0.3)
        var loose = DriftThresholds()
        loose.psi = 10
        loose.ks = 1
        #expect(!FeatureDrift(baseline: a, current: b, thresholds: loose).drifted)
        var strict = DriftThresholds()
        strict.ks = 0.01
        #expect(FeatureDrift(baseline: a, current: b, thresholds: strict).fired.contains { $0.hasPrefix("ks") })
        // An identical set has no drift at all.
        let same = Self.drift(a, a)
        #expect(same.ks == 0 && same.psi! < 1e-12 && !same.drifted)
    }

    @Test func runSelectionsParse() throws {
        let now = Timestamp(microseconds: 10 * 86_400_000_000)
        #expect(try RunSelection(parsing: "12") == .run(12))
        #expect(try RunSelection(parsing: "last:7d", now: now) == .committed(from: Timestamp(microseconds: 3 * 86_400_000_000), to: nil))
        #expect(try RunSelection(parsing: "2026-01-01T00:00:00Z..") == .committed(from: try Timestamp(parsing: "2026-01-01T00:00:00Z"), to: nil))
        #expect(try RunSelection(parsing: "..2026-01-01T00:00:00Z") == .committed(from: nil, to: try Timestamp(parsing: "2026-01-01T00:00:00Z")))
        for bad in ["", "0", "-3", "last:", "last:7x", "..", "yesterday", "2026-13-01T00:00:00Z.."] {
            #expect(throws: LarderError.self, "\(bad)") { try RunSelection(parsing: bad) }
        }
    }
}
