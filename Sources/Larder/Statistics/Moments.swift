/// Count, minimum, maximum, mean and variance of a stream of numbers, kept
/// numerically stable and mergeable: a batch is summed in two passes (mean,
/// then squared deviations from it) and batches are combined with the
/// pairwise update of Chan, Golub and LeVeque ("Updating formulae and a
/// pairwise algorithm for computing sample variances", 1979), which extends
/// Welford's ("Note on a method for calculating corrected sums of squares
/// and products", 1962). Merging gives the moments of the union up to
/// rounding, in any order.
package struct Moments: Sendable, Equatable {
    /// How many values were seen.
    package private(set) var count: Int64 = 0
    /// Their mean (0 when there are none).
    package private(set) var mean = 0.0
    /// The sum of squared deviations from the mean.
    package private(set) var m2 = 0.0
    /// The smallest value (+∞ when there are none).
    package private(set) var min = Double.infinity
    /// The largest value (−∞ when there are none).
    package private(set) var max = -Double.infinity

    /// No values.
    package init() {}

    /// The moments of `values` (none of them NaN).
    ///
    /// - Complexity: O(n), two passes.
    package init(_ values: UnsafeBufferPointer<Double>) {
        guard !values.isEmpty else { return }
        var sum = 0.0, lo = Double.infinity, hi = -Double.infinity
        for v in values {
            sum += v
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        let mean = sum / Double(values.count)
        var m2 = 0.0
        for v in values {
            let d = v - mean
            m2 += d * d
        }
        (count, self.mean, self.m2, min, max) = (Int64(values.count), mean, m2, lo, hi)
        // An infinite value makes the mean infinite or NaN and the deviations NaN: keep what is meaningful.
        if !mean.isFinite { self.m2 = .nan }
    }

    /// Adds one value (Welford's update).
    package mutating func add(_ value: Double) {
        count += 1
        let d = value - mean
        mean += d / Double(count)
        m2 += d * (value - mean)
        min = Swift.min(min, value)
        max = Swift.max(max, value)
    }

    /// Adds the values that `other` summarizes (Chan et al.'s pairwise update).
    package mutating func merge(_ other: Moments) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let n = Double(count + other.count), na = Double(count), nb = Double(other.count)
        let delta = other.mean - mean
        mean += delta * nb / n
        m2 += other.m2 + delta * delta * na * nb / n
        count += other.count
        min = Swift.min(min, other.min)
        max = Swift.max(max, other.max)
    }

    /// The sample variance (divided by n − 1), nil below two values.
    package var variance: Double? { count > 1 ? m2 / Double(count - 1) : nil }

    /// The sample standard deviation, nil below two values.
    package var standardDeviation: Double? { variance.map { $0.squareRoot() } }

    /// Version 1: count, mean, m2, min, max.
    func write(to out: inout SketchWriter) {
        out.put(UInt8(1))
        out.put(count)
        out.put(mean)
        out.put(m2)
        out.put(min)
        out.put(max)
    }

    /// Reads what ``write(to:)`` wrote.
    init(from input: inout SketchReader) throws(LarderError) {
        try input.version(1)
        count = try input.integer()
        mean = try input.double()
        m2 = try input.double()
        min = try input.double()
        max = try input.double()
        guard count >= 0 else { throw input.malformed("negative count") }
    }
}
