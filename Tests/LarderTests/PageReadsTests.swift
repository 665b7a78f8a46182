import Foundation
import Testing
@testable import Larder

/// The two reads that keep the web UI's pages fast on a large store: each
/// run's decoded statistics kept by run id (the same figures as a fresh
/// decode), and the newest event time kept by the writes (the same as the
/// table's maximum, whatever the order of the runs).
@Suite struct PageReadsTests {
    let dir = TemporaryDirectory()

    func store() throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file("s.db"))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return s
    }

    /// The table's own maximum, by a scan.
    func scannedNewest(_ s: FeatureStore, table: String = "fv_driver_stats_v1") throws -> Timestamp {
        Timestamp(microseconds: try s.testInt("SELECT MAX(event_timestamp) FROM \(table)"))
    }

    @Test func keptRunStatisticsEqualAFreshDecode() throws {
        let s = try store()
        for run in 0..<3 {
            try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: UInt64(run), count: 400, firstKey: Int64(run) * 1000))
        }
        let first = try s.statistics(view: "driver_stats", runs: .all)
        #expect(s.runStatistics.count == 3 && s.runStatistics.hits == 0)
        let again = try s.statistics(view: "driver_stats", runs: .all)
        #expect(s.runStatistics.hits == 3, "the second read decodes nothing")
        let single = try s.statistics(view: "driver_stats", runs: .run(first.runs[1]))
        #expect(s.runStatistics.hits == 4)

        let fresh = try FeatureStore(path: dir.file("s.db"))
        #expect(fresh.runStatistics.count == 0)
        let decoded = try fresh.statistics(view: "driver_stats", runs: .all)
        #expect(again.runs == decoded.runs && again.features == decoded.features && first.features == decoded.features)
        #expect(single.features == (try fresh.statistics(view: "driver_stats", runs: .run(first.runs[1]))).features)
        #expect(single.features != decoded.features, "one run is not the three")
        let drift = try s.drift(view: "driver_stats", baseline: .run(first.runs[0]), current: .run(first.runs[2]))
        let freshDrift = try fresh.drift(view: "driver_stats", baseline: .run(first.runs[0]), current: .run(first.runs[2]))
        #expect(drift.features.map(\.psi) == freshDrift.features.map(\.psi) && drift.features.map(\.ks) == freshDrift.features.map(\.ks))
    }

    @Test func theCacheForgetsTheLeastRecentlyUsedRun() throws {
        let cache = RunStatisticsCache(capacity: 2)
        var decoded: [Int64] = []
        func entry(_ run: Int64) -> RunStatisticsCache.RunEntry {
            cache.entry(run: run) {
                decoded.append(run)
                return RunStatisticsCache.RunEntry(positions: [Int(run)], statistics: [])
            }
        }
        #expect(entry(1).positions == [1] && entry(2).positions == [2])
        #expect(entry(1).positions == [1], "kept")
        #expect(entry(3).positions == [3])
        #expect(cache.count == 2)
        #expect(entry(1).positions == [1] && entry(2).positions == [2], "2 was the least recently used")
        #expect(decoded == [1, 2, 3, 2])
    }

    @Test func newestEventTimeIsKeptAcrossRunsOfAnyOrder() throws {
        let s = try store()
        #expect(try s.newestEventTime(view: "driver_stats") == nil)
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 1, count: 50))
        #expect(try s.newestEventTime(view: "driver_stats") == Timestamp(microseconds: 49_000_000))
        // Older rows than the table holds: the newest time stays.
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 2, count: 10, firstKey: 1000))
        #expect(try s.newestEventTime(view: "driver_stats") == Timestamp(microseconds: 49_000_000))
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 3, count: 80, firstKey: 2000))
        #expect(try s.newestEventTime(view: "driver_stats") == Timestamp(microseconds: 79_000_000))
        #expect(try s.newestEventTime(view: "driver_stats") == scannedNewest(s))
        #expect(try s.testInt("SELECT newest_event_at FROM view_versions WHERE view = 'driver_stats'") == 79_000_000, "kept, not scanned")
        #expect(throws: LarderError.self) { try s.newestEventTime(view: "nope") }
    }

    @Test func carriedRowsKeepTheirNewestEventTime() throws {
        let s = try store()
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 1, count: 30))
        let yaml = exampleDefinitions.replacingOccurrences(of: "{name: city, type: string}", with: "{name: city, type: string}\n      - {name: rating, type: float64}")
        try s.apply(try Definitions.parse(yaml: yaml, file: "defs.yaml"), carryData: true)
        #expect(try s.newestEventTime(view: "driver_stats", version: 2) == Timestamp(microseconds: 29_000_000))
        #expect(try s.testInt("SELECT events_known FROM view_versions WHERE view = 'driver_stats' AND version = 2") == 1)
        try s.apply(try Definitions.parse(yaml: yaml.replacingOccurrences(of: "{name: rating, type: float64}", with: "{name: rating, type: int64}"), file: "defs.yaml"))
        #expect(try s.newestEventTime(view: "driver_stats", version: 3) == nil, "a new version without its rows is empty")
    }

    /// A version created before store schema 5 keeps no time: it is scanned
    /// until its next run, which keeps the table's maximum (not only the run's).
    @Test func aVersionFromBeforeTheMigrationIsScannedUntilItsNextRun() throws {
        let s = try store()
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 1, count: 60))
        try s.testSQL("UPDATE view_versions SET newest_event_at = NULL, events_known = 0")
        #expect(try s.newestEventTime(view: "driver_stats") == Timestamp(microseconds: 59_000_000), "scanned")
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 2, count: 5, firstKey: 1000))
        #expect(try s.testInt("SELECT events_known FROM view_versions") == 1)
        #expect(try s.testInt("SELECT newest_event_at FROM view_versions") == 59_000_000, "the table's newest, not the run's (4 s)")
        #expect(try s.newestEventTime(view: "driver_stats") == scannedNewest(s))
    }
}
