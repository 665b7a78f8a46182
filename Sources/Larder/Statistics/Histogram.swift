/// A numeric feature's distribution over bins, estimated from its merged
/// KLL quantile sketch (never from rows): each bin's share is a difference
/// of the sketch's ranks, so it is within the sketch's rank error
/// (docs/quality.md) of the exact share.
public struct Histogram: Sendable, Equatable {
    /// The bin edges, ascending: bin `i` holds the values in
    /// `(edges[i], edges[i + 1]]`, the first bin `edges[0]` too.
    public let edges: [Double]
    /// Each bin's share of the feature's counted values (not null, not NaN), 0…1.
    public let shares: [Double]
    /// The number of counted values the shares are of.
    public let count: Int64

    /// `bins` edges evenly spaced over `range` (`bins + 1` of them; one bin
    /// of width 1 around a range of one value).
    ///
    /// - Complexity: O(bins).
    public static func evenEdges(over range: ClosedRange<Double>, bins: Int) -> [Double] {
        let bins = Swift.max(1, bins)
        let (low, high) = range.lowerBound < range.upperBound ? (range.lowerBound, range.upperBound)
                                                               : (range.lowerBound - 0.5, range.upperBound + 0.5)
        let width = (high - low) / Double(bins)
        return (0...bins).map { $0 == bins ? high : low + Double($0) * width }
    }
}

extension ViewStatistics {
    /// The distribution of the numeric feature `feature` over the bins of
    /// `edges` (ascending, at least two), from its merged quantile sketch;
    /// `nil` when the view has no such feature, it is not numeric (or a
    /// vector's norm), or it has no counted value.
    ///
    /// - Complexity: O(edges × log k) after sorting the sketch's ≤ 4k retained items.
    public func histogram(of feature: String, edges: [Double]) -> Histogram? {
        guard edges.count >= 2, zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }),
              let statistics = features.first(where: { $0.name == feature }), let sketch = statistics.quantiles, !sketch.isEmpty
        else { return nil }
        let view = sketch.sortedView()
        var shares: [Double] = []
        shares.reserveCapacity(edges.count - 1)
        var below = view.rank(edges[0], inclusive: false)
        for edge in edges.dropFirst() {
            let upTo = view.rank(edge)
            shares.append(Swift.max(0, upTo - below))
            below = upTo
        }
        return Histogram(edges: edges, shares: shares, count: view.count)
    }
}
