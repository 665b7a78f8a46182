import Foundation
import Testing
@testable import Larder

/// What the web UI reads from the library: histograms from the merged
/// quantile sketches (within the sketch's rank error of the exact shares).
/// Its other reads are in `PageReadsTests`.
@Suite struct HistogramTests {
    let dir = TemporaryDirectory()

    func store() throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file("s.db"))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return s
    }

    @Test func evenEdgesSpanTheRange() {
        #expect(Histogram.evenEdges(over: 0...10, bins: 5) == [0, 2, 4, 6, 8, 10])
        #expect(Histogram.evenEdges(over: 3...3, bins: 2) == [2.5, 3, 3.5], "one value gets a bin around it")
        #expect(Histogram.evenEdges(over: 0...1, bins: 0) == [0, 1])
    }

    @Test func sharesMatchTheExactSharesWithinTheRankError() throws {
        let s = try store()
        let rows = RunStatisticsTests.rows(seed: 11, count: 20_000)
        try s.write(view: "driver_stats", rows: Array(rows[..<12_000]))
        try s.write(view: "driver_stats", rows: Array(rows[12_000...]), options: IngestOptions())
        let statistics = try s.statistics(view: "driver_stats")
        let values = rows.compactMap { row -> Double? in if case .float64(let v) = row["acc_rate"] { v } else { nil } }
        let edges = Histogram.evenEdges(over: values.min()!...values.max()!, bins: 20)
        let histogram = try #require(statistics.histogram(of: "acc_rate", edges: edges))
        #expect(histogram.count == Int64(values.count) && histogram.shares.count == 20)
        #expect(abs(histogram.shares.reduce(0, +) - 1) < 1e-9, "the bins cover every value")
        for (i, share) in histogram.shares.enumerated() {
            let exact = Double(values.filter { (i == 0 ? $0 >= edges[0] : $0 > edges[i]) && $0 <= edges[i + 1] }.count) / Double(values.count)
            #expect(abs(share - exact) <= 2 * KLLSketch.rankErrorBound, "bin \(i): \(share) vs \(exact)")
        }
        #expect(statistics.histogram(of: "city", edges: edges) == nil, "strings have no quantile sketch")
        #expect(statistics.histogram(of: "nope", edges: edges) == nil)
        #expect(statistics.histogram(of: "acc_rate", edges: [1]) == nil && statistics.histogram(of: "acc_rate", edges: [2, 1]) == nil)
    }
}
