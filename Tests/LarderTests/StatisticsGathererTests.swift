import Testing
import LarderTestSupport
@testable import Larder

/// The run statistics gathered on their own thread (a large backfill) equal
/// those gathered on the calling thread (a push) and those of
/// ``FeatureStatistics/add(_:skipping:scratch:)`` called batch by batch, bad
/// rows skipped the same way.
@Suite struct StatisticsGathererTests {
    /// The example view (float64, float64, int64, string features).
    static func view() throws -> FeatureView {
        let definition = try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml").featureViews[0]
        return FeatureView(id: 1, version: 1, definition: definition, joinKeys: [JoinKey(name: "driver_id", type: .int64)], createdAt: 0)
    }

    /// `count` random batches of the view's features, each with a random bitmap of bad rows (or none).
    static func batches(_ view: FeatureView, count: Int, seed: UInt64) -> [([Column], Bitmap?)] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let rows = Int.random(in: 0..<3_000, using: &rng)
            let columns = view.features.map { feature in
                var column = Column(type: feature.type)
                for _ in 0..<rows {
                    if Int.random(in: 0..<10, using: &rng) == 0 { column.appendNull(); continue }
                    switch feature.type {
                    case .float64: column.append(Double.random(in: -1e6...1e6, using: &rng))
                    case .int64: column.append(Int64.random(in: -1_000...1_000, using: &rng))
                    default: column.append("city-\(Int.random(in: 0..<300, using: &rng))")
                    }
                }
                return column
            }
            var bad: Bitmap?
            if Bool.random(using: &rng) {
                var bits = Bitmap(repeating: false, count: rows)
                for row in 0..<rows where Int.random(in: 0..<7, using: &rng) == 0 { bits[row] = true }
                bad = bits
            }
            return (columns, bad)
        }
    }

    @Test(arguments: [1, 2, 40])
    func threadedInlineAndDirectAgree(batchCount: Int) throws {
        let view = try Self.view()
        let batches = Self.batches(view, count: batchCount, seed: UInt64(batchCount))
        var direct = view.features.map { FeatureStatistics(name: $0.name, type: $0.type) }
        var scratch: [Double] = []
        for (columns, bad) in batches {
            for f in direct.indices { direct[f].add(columns[f], skipping: bad, scratch: &scratch) }
        }
        let threaded = StatisticsGatherer(view: view, threaded: true)
        let inline = StatisticsGatherer(view: view, threaded: false)
        for (columns, bad) in batches {
            threaded.add(columns, skipping: bad)
            inline.add(columns, skipping: bad)
        }
        let fromThread = threaded.finish(), fromCaller = inline.finish()
        #expect(fromThread == direct)
        #expect(fromCaller == direct)
        #expect(direct.contains { $0.rows > 0 } || batches.allSatisfy { $0.0[0].count == 0 })
        threaded.abandon() // after finish: nothing left to stop, and no wait
    }

    @Test func abandoningStopsTheThreadWithBatchesStillQueued() throws {
        let view = try Self.view()
        let gatherer = StatisticsGatherer(view: view, threaded: true)
        for (columns, bad) in Self.batches(view, count: 12, seed: 7) { gatherer.add(columns, skipping: bad) }
        gatherer.abandon() // returns once the thread has ended (a hang fails the test run)
        gatherer.abandon()
    }
}
