import Foundation
import Testing
@testable import Larder

/// Rows rejected per feature and rule are recorded with the run; the andon
/// on rates (`max_null_rate`, `max_reject_rate`, the run's maximum reject
/// rate) refuses a run as a whole and leaves nothing of it; drift holds
/// each feature to its own thresholds and compares reject rates.
@Suite struct QualityGateTests {
    let dir = TemporaryDirectory()

    /// A store with the example view; `features` replaces its feature lines.
    func store(features: String? = nil) throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file("s.db"))
        var yaml = exampleDefinitions
        if let features {
            let start = yaml.range(of: "      - {name: conv_rate")!.lowerBound
            let end = yaml.range(of: "feature_sets:")!.lowerBound
            yaml.replaceSubrange(start..<end, with: features)
        }
        try s.apply(try Definitions.parse(yaml: yaml, file: "defs.yaml"))
        return s
    }

    /// A CSV of `count` rows of the example view, with `conv_rate` `bad`
    /// (above its max 1) on the rows `badConv` picks and a null city on the
    /// rows `nullCity` picks.
    func csv(_ name: String, count: Int, firstKey: Int = 0, badConv: (Int) -> Bool = { _ in false },
             nullCity: (Int) -> Bool = { _ in false }, badTrips: (Int) -> String? = { _ in nil }) throws -> String {
        var lines = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        for i in 0..<count {
            lines.append("\(firstKey + i),2024-01-01T00:00:00Z,\(badConv(i) ? "5" : "0.5"),1,\(badTrips(i) ?? String(i)),\(nullCity(i) ? "" : "x")")
        }
        return try dir.write(name, lines.joined(separator: "\n") + "\n")
    }

    func skip(_ limit: Double? = nil) -> IngestOptions {
        var options = IngestOptions()
        options.onError = .skip
        options.rejectFile = .file(dir.file("rejects.jsonl"))
        options.maxRejectRate = limit
        return options
    }

    /// Nothing of a refused run is visible: no run, no rows, no statistics, no reject file.
    func expectNothingWritten(_ s: FeatureStore) throws {
        #expect(try s.runs(view: "driver_stats").isEmpty)
        #expect(try s.testInt("SELECT COUNT(*) FROM run_statistics") == 0)
        #expect(try s.testInt("SELECT COUNT(*) FROM runs") == 0)
        #expect(!FileManager.default.fileExists(atPath: dir.file("rejects.jsonl")))
    }

    @Test func rejectedRowsAreRecordedPerFeatureAndRule() throws {
        let s = try store()
        // 10 rows above conv_rate's max, 4 trips that are not int64, 2 null trips (not_null), 1 null key (no feature).
        var lines = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        for i in 0..<100 {
            let trips = i % 25 == 1 ? "many" : (i == 2 || i == 3 ? "" : String(i))
            lines.append("\(i == 99 ? "" : String(i)),2024-01-01T00:00:00Z,\(i % 10 == 0 ? "5" : "0.5"),1,\(trips),x")
        }
        let result = try s.backfill(view: "driver_stats", input: .file(try dir.write("in.csv", lines.joined(separator: "\n") + "\n")),
                                    options: skip())
        #expect(result.rowsWritten == 83 && result.rowsRejected == 17)
        let first = try s.statistics(view: "driver_stats").summaries
        #expect(first.map(\.rejectedByRule) == [["max": 10], [:], ["type": 4, "not_null": 2], [:]])
        #expect(first.allSatisfy { $0.rowsRead == 100 })
        #expect(first[0].rejected == 10 && first[0].rejectRate == 0.1 && first[2].rejectRate == 0.06)
        // A second run without rejects: the merge sums the counts and the rows read.
        try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 1, count: 50, firstKey: 1000))
        let both = try s.statistics(view: "driver_stats")
        #expect(both.summaries[0].rowsRead == 150 && both.summaries[0].rejected == 10)
        #expect(both.json().contains("\"rejected_by_rule\":{\"max\":10}"), "\(both.json())")
        #expect(both.table().contains(" 6 (type 4, not_null 2) "), "\(both.table())")
        // The binary form keeps them.
        let stored = try FeatureStatistics(name: "avg_daily_trips", type: .int64,
                                           serialized: try s.statistics(view: "driver_stats", runs: .run(result.runID!)).features[2].serialized())
        #expect(stored.rejectedByRule == ["type": 4, "not_null": 2] && stored.runRowsRejected == 17)
    }

    @Test func statisticsWrittenBeforeRejectionsWereRecordedStillRead() throws {
        // Format version 1: rows, nulls, NaNs, then the moments and sketches.
        var column = Column(type: .float64)
        column.append(2.0)
        var s = FeatureStatistics(name: "x", type: .float64)
        var scratch: [Double] = []
        s.add(column, skipping: nil, scratch: &scratch)
        var v1 = s.serialized()
        v1[0] = 1
        v1.removeSubrange(25..<37) // the run's rejected rows and the empty rule list
        let read = try FeatureStatistics(name: "x", type: .float64, serialized: v1)
        #expect(read == s && read.rejected == 0)
        var unknownRule = s
        unknownRule.addRejected(rows: 1, rule: "type")
        unknownRule.addRunRejected(rows: 1)
        var bytes = unknownRule.serialized()
        #expect(bytes[41] == UInt8(ascii: "t")) // after the counts, the rule count and the name's length
        bytes[41] = UInt8(ascii: "T")
        #expect(throws: LarderError.self) { try FeatureStatistics(name: "x", type: .float64, serialized: bytes) }
    }

    @Test func rateLimitsAndDriftThresholdsAreDefinitions() throws {
        let limits = "{max_null_rate: 0.01, max_reject_rate: 0.02, drift: {psi: 0.3, ks: 0.2, js: 0.4, null_rate_points: 10, reject_rate_points: 2}}"
        let features = """
                  - {name: conv_rate, type: float64, expect: \(limits)}
                  - {name: acc_rate, type: float64}
                  - {name: avg_daily_trips, type: int64}
                  - {name: city, type: string}

            """
        _ = try store(features: features)
        let e = try FeatureStore(path: dir.file("s.db")).registry.view("driver_stats").features[0].expectations
        #expect(e.maxNullRate == 0.01 && e.maxRejectRate == 0.02)
        #expect(e.drift == DriftOverrides(psi: 0.3, ks: 0.2, js: 0.4, nullRateIncrease: 0.1, rejectRateIncrease: 0.02))
        #expect(e.description.contains("max_null_rate: 0.01") && e.description.contains("drift: {psi: 0.3"))
        // Changing a limit is a metadata change: the version stays.
        let again = try FeatureStore(path: dir.file("s.db"))
        try again.apply(try Definitions.parse(yaml: exampleDefinitions.replacingOccurrences(of: "{min: 0, max: 1}", with: "{max_null_rate: 0.5}"),
                                              file: "defs.yaml"))
        let view = try again.registry.view("driver_stats")
        #expect(view.version == 1 && view.features[0].expectations.maxNullRate == 0.5)
        for (bad, says) in [("{max_null_rate: 5}", "expect.max_null_rate: expected a fraction from 0 to 1"),
                            ("{max_reject_rate: -0.1}", "expect.max_reject_rate: expected a fraction"),
                            ("{drift: {psl: 1}}", "expect.drift.psl: unknown key"),
                            ("{drift: {ks: -1}}", "expect.drift.ks: a threshold is at least 0")] {
            #expect(throws: LarderError.self) { try Definitions.parse(yaml: exampleDefinitions.replacingOccurrences(of: "{min: 0, max: 1}", with: bad), file: "d.yaml") }
            do {
                _ = try Definitions.parse(yaml: exampleDefinitions.replacingOccurrences(of: "{min: 0, max: 1}", with: bad), file: "d.yaml")
            } catch {
                #expect(error.message.contains(says), "\(error.message)")
            }
        }
    }

    @Test func aNullRateAboveItsLimitRefusesTheRun() throws {
        let s = try store(features: """
                  - {name: conv_rate, type: float64, expect: {min: 0, max: 1}}
                  - {name: acc_rate, type: float64}
                  - {name: avg_daily_trips, type: int64}
                  - {name: city, type: string, expect: {max_null_rate: 0.1}}

            """)
        let tooMany = try csv("nulls.csv", count: 100, nullCity: { $0 % 5 == 0 })
        do {
            _ = try s.backfill(view: "driver_stats", input: .file(tooMany))
            Issue.record("a run with 20% null cities was committed")
        } catch {
            #expect(error.category == .invalidInput)
            #expect(error.message.contains("feature city: null rate 20.0% (20 of 100 rows) is above its max_null_rate 10.0%"), "\(error)")
            #expect(error.message.contains("nothing was written"))
        }
        try expectNothingWritten(s)
        // At the limit, the run commits.
        let atLimit = try csv("ok.csv", count: 100, nullCity: { $0 % 10 == 0 })
        #expect(try s.backfill(view: "driver_stats", input: .file(atLimit)).rowsWritten == 100)
    }

    @Test func aFeaturesRejectRateAboveItsLimitRefusesASkippingRun() throws {
        let s = try store(features: """
                  - {name: conv_rate, type: float64, expect: {min: 0, max: 1, max_reject_rate: 0.05}}
                  - {name: acc_rate, type: float64}
                  - {name: avg_daily_trips, type: int64}
                  - {name: city, type: string}

            """)
        let tooMany = try csv("bad.csv", count: 100, badConv: { $0 % 10 == 0 })
        do {
            _ = try s.backfill(view: "driver_stats", input: .file(tooMany), options: skip())
            Issue.record("a run rejecting 10% of conv_rate was committed")
        } catch {
            #expect(error.category == .invalidInput)
            #expect(error.message.contains("feature conv_rate: reject rate 10.0% (10 of 100 rows) (10 (max 10)) is above its max_reject_rate 5.0%"), "\(error)")
        }
        try expectNothingWritten(s)
        let atLimit = try csv("ok.csv", count: 100, badConv: { $0 % 20 == 0 })
        #expect(try s.backfill(view: "driver_stats", input: .file(atLimit), options: skip()).rowsRejected == 5)
    }

    @Test func theRunsRejectRateAboveTheOptionRefusesIt() throws {
        let s = try store()
        // Rejected for a feature (not_null) and for no feature at all (a bad time): both count for the run.
        var lines = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        for i in 0..<100 { lines.append("\(i),\(i < 2 ? "soon" : "2024-01-01T00:00:00Z"),0.5,1,\(i == 2 ? "" : "1"),x") }
        let path = try dir.write("in.csv", lines.joined(separator: "\n") + "\n")
        do {
            _ = try s.backfill(view: "driver_stats", input: .file(path), options: skip(0.02))
            Issue.record("a run rejecting 3% was committed under a 2% limit")
        } catch {
            #expect(error.message.contains("the run's reject rate 3.0% (3 of 100 rows) is above --max-reject-rate 2.0%; most for feature avg_daily_trips: 1 (not_null 1)"), "\(error)")
        }
        try expectNothingWritten(s)
        #expect(throws: LarderError.self) { try s.backfill(view: "driver_stats", input: .file(path), options: skip(5)) }
        #expect(try s.backfill(view: "driver_stats", input: .file(path), options: skip(0.03)).rowsRejected == 3)
    }

    @Test func eachFeatureIsHeldToItsOwnDriftThresholds() throws {
        let s = try store(features: """
                  - {name: conv_rate, type: float64, expect: {min: 0, max: 1, drift: {null_rate_points: 50}}}
                  - {name: acc_rate, type: float64}
                  - {name: avg_daily_trips, type: int64}
                  - {name: city, type: string, expect: {drift: {null_rate_points: 50, reject_rate_points: 1}}}

            """)
        let base = try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 1, count: 2000)).runID!
        var shifted = RunStatisticsTests.rows(seed: 2, count: 2000, firstKey: 10_000)
        for i in shifted.indices where i % 4 == 0 {
            shifted[i]["conv_rate"] = .null
            shifted[i]["city"] = .null
        }
        let current = try s.write(view: "driver_stats", rows: shifted).runID!
        let report = try s.drift(view: "driver_stats", baseline: .run(base), current: .run(current))
        // conv_rate and city allow a rise of 50 points: not drifted on nulls.
        #expect(report.drifted.isEmpty, "\(report.table())")
        #expect(report.features[0].thresholds.nullRateIncrease == 0.5 && report.features[1].thresholds.nullRateIncrease == 0.05)
        // An override given with the request wins over the definitions.
        let strict = try s.drift(view: "driver_stats", baseline: .run(base), current: .run(current),
                                 overrides: ["city": DriftOverrides(nullRateIncrease: 0.1)])
        #expect(strict.drifted.map(\.name) == ["city"] && strict.drifted[0].fired[0].hasPrefix("null rate"), "\(strict.table())")
        #expect(strict.json().contains("\"null_rate_increase\":0.1"))
        do {
            _ = try s.drift(view: "driver_stats", baseline: .run(base), current: .run(current), overrides: ["cty": DriftOverrides(psi: 1)])
            Issue.record("an override for an unknown feature was accepted")
        } catch {
            #expect(error.category == .notFound && error.message.contains("\"cty\""))
        }
    }

    @Test func aRisingRejectRateDrifts() throws {
        let s = try store()
        let base = try s.backfill(view: "driver_stats", input: .file(try csv("a.csv", count: 200)), options: skip()).runID!
        let current = try s.backfill(view: "driver_stats", input: .file(try csv("b.csv", count: 200, firstKey: 1000, badConv: { $0 % 10 == 0 })),
                                     options: skip()).runID!
        let report = try s.drift(view: "driver_stats", baseline: .run(base), current: .run(current))
        let conv = report.features[0]
        #expect(conv.baselineRejectRate == 0 && conv.currentRejectRate == 0.1)
        #expect(conv.fired.contains("reject rate 0.0% → 10.0% (+10.0% ≥ +5.0%)"), "\(conv.fired)")
        #expect(report.features.dropFirst().allSatisfy { $0.currentRejectRate == 0 })
        #expect(report.json().contains("\"current_reject_rate\":0.1"))
        var loose = DriftThresholds()
        loose.rejectRateIncrease = 0.11
        #expect(try s.drift(view: "driver_stats", baseline: .run(base), current: .run(current), thresholds: loose).features[0]
            .fired.allSatisfy { !$0.hasPrefix("reject rate") })
    }

    @Test func aManifestsBaselineIsTheRunsItPinned() throws {
        let s = try store()
        let first = try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 1, count: 20)).runID!
        let committed = try s.runs(view: "driver_stats")[0].committedAt
        let second = try s.write(view: "driver_stats", rows: RunStatisticsTests.rows(seed: 2, count: 20, firstKey: 100)).runID!
        let manifest = TrainingSetManifest(createdAt: committed.description, features: ["driver_stats@1:conv_rate"], fullNames: false,
                                           asOf: committed.description, spine: nil, spineSHA256: nil, at: committed.description,
                                           columns: ["driver_id", "conv_rate"], rows: 20, resultSHA256: String(repeating: "0", count: 64))
        let pinned = try manifest.baseline(of: "driver_stats", path: "m.json")
        #expect(pinned.version == 1)
        #expect(try s.statistics(view: "driver_stats", version: pinned.version, runs: pinned.runs).runs == [first])
        #expect(second > first)
        #expect(throws: LarderError.self) { try manifest.baseline(of: "other_view", path: "m.json") }
        #expect(throws: LarderError.self) { try manifest.baseline(of: "driver_stats", version: 2, path: "m.json") }
    }
}
