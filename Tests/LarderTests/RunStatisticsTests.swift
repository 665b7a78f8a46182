import Foundation
import Testing
@testable import Larder

/// Statistics gathered in the write path: a run's equal a brute-force pass
/// over its rows, several runs' merge equals their union, rejected rows and
/// failed runs leave nothing, and runs are chosen by id or commit time; on
/// both engines (``TestEngine``).
@Suite struct RunStatisticsTests {
    let dir = TemporaryDirectory()

    func store(_ engine: TestEngine) throws -> FeatureStore {
        let s = try engine.open(try engine.newStore(in: dir, file: "s.db"))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return s
    }

    /// Rows of the example view: conv_rate in 0…1 (10% null), acc_rate
    /// normal-ish, avg_daily_trips integers, city from 40 names (5% null).
    static func rows(seed: UInt64, count: Int, firstKey: Int64 = 0) -> [[String: FeatureValue]] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { i in
            let conv: FeatureValue = Int.random(in: 0..<10, using: &rng) == 0 ? .null : .float64(Double.random(in: 0...1, using: &rng))
            let acc = (0..<4).reduce(0.0) { acc, _ in acc + Double.random(in: -1...1, using: &rng) } * 100
            let city: FeatureValue = Int.random(in: 0..<20, using: &rng) == 0 ? .null : .string("city-\(Int.random(in: 0..<40, using: &rng) * Int.random(in: 0..<2, using: &rng))")
            return ["driver_id": .int64(firstKey + Int64(i)), "event_timestamp": .timestamp(Timestamp(microseconds: Int64(i) * 1_000_000)),
                    "conv_rate": conv, "acc_rate": .float64(acc), "avg_daily_trips": .int64(Int64.random(in: -50...5000, using: &rng)),
                    "city": city]
        }
    }

    /// Checks `summary` against the exact figures of `values` (nil = null).
    static func check(_ summary: FeatureSummary, numbers values: [Double?]) {
        let present = values.compactMap { $0 }.sorted()
        #expect(summary.rows == Int64(values.count) && summary.nulls == Int64(values.count - present.count), "\(summary.name)")
        #expect(summary.count == Int64(present.count))
        #expect(summary.min == present.first && summary.max == present.last)
        let mean = present.reduce(0, +) / Double(present.count)
        let variance = present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(present.count - 1)
        #expect(abs(summary.mean! - mean) <= 1e-9 * Swift.max(1, abs(mean)))
        #expect(abs(summary.standardDeviation! - variance.squareRoot()) <= 1e-9 * Swift.max(1, variance.squareRoot()))
        for q in summary.quantiles {
            // The reported value's true rank range must come within the rank error of the level.
            let below = Double(present.filter { $0 < q.value }.count) / Double(present.count)
            let atOrBelow = Double(present.filter { $0 <= q.value }.count) / Double(present.count)
            let distance = q.level < below ? below - q.level : (q.level > atOrBelow ? q.level - atOrBelow : 0)
            #expect(distance <= KLLSketch.rankErrorBound, "\(summary.name) q\(q.level): \(q.value) has rank \(below)…\(atOrBelow)")
        }
    }

    static func check(_ summary: FeatureSummary, strings values: [String?]) {
        var exact: [String: Int64] = [:]
        for v in values.compactMap({ $0 }) { exact[v, default: 0] += 1 }
        #expect(summary.rows == Int64(values.count) && summary.nulls == Int64(values.filter { $0 == nil }.count))
        #expect(abs(summary.distinct! - Double(exact.count)) <= 3 * HyperLogLog.relativeStandardError * Double(exact.count))
        // Fewer distinct values than counters: every count is exact.
        #expect(summary.topValues.count == exact.count)
        for top in summary.topValues { #expect(top.count == exact[top.value] && top.upperBound == top.count) }
    }

    static func check(_ statistics: ViewStatistics, _ rows: [[String: FeatureValue]]) {
        let byName = Dictionary(uniqueKeysWithValues: statistics.summaries.map { ($0.name, $0) })
        func double(_ v: FeatureValue?) -> Double? {
            switch v {
            case .float64(let d): d
            case .int64(let i): Double(i)
            default: nil
            }
        }
        for name in ["conv_rate", "acc_rate", "avg_daily_trips"] { check(byName[name]!, numbers: rows.map { double($0[name]) }) }
        check(byName["city"]!, strings: rows.map { if case .string(let s) = $0["city"] { s } else { nil } })
    }

    @Test(arguments: TestEngine.all)
    func aRunsStatisticsEqualABruteForcePass(engine: TestEngine) throws {
        let s = try store(engine)
        for seed in UInt64(0)..<4 {
            let rows = Self.rows(seed: seed, count: 3000 + Int(seed) * 1000, firstKey: Int64(seed) * 100_000)
            let run = try s.write(view: "driver_stats", rows: rows).runID!
            let statistics = try s.statistics(view: "driver_stats", runs: .run(run))
            #expect(statistics.runs == [run] && statistics.view == "driver_stats" && statistics.version == 1)
            Self.check(statistics, rows)
        }
    }

    @Test(arguments: TestEngine.all)
    func statisticsOfSeveralRunsAreThoseOfTheirUnion(engine: TestEngine) throws {
        let s = try store(engine)
        let a = Self.rows(seed: 1, count: 4000), b = Self.rows(seed: 2, count: 2500, firstKey: 1_000_000)
        let first = try s.write(view: "driver_stats", rows: a).runID!
        let second = try s.write(view: "driver_stats", rows: b).runID!
        let all = try s.statistics(view: "driver_stats")
        #expect(all.runs == [first, second] && all.runsWithoutStatistics.isEmpty)
        Self.check(all, a + b)
        #expect(try s.statistics(view: "driver_stats", runs: .runs([first, second])).summaries == all.summaries)
        // By commit time: the second run only.
        let committed = try s.runs(view: "driver_stats").first { $0.id == second }!.committedAt
        let later = try s.statistics(view: "driver_stats", runs: .committed(from: committed, to: nil))
        #expect(later.runs == [second])
        Self.check(later, b)
        #expect(try s.statistics(view: "driver_stats", runs: .committed(from: nil, to: committed)).runs == [first])
    }

    @Test func manyRunsMergeFeatureByFeatureToTheSequentialFigures() throws {
        // Past ViewStatistics.parallelMergeRuns the features are merged on
        // threads of their own: each must still be the run-by-run merge.
        var rng = SplitMix64(seed: 5)
        var scratch: [Double] = []
        let types: [FeatureType] = [.float64, .string, .int64, .bool]
        let entries = (0..<(ViewStatistics.parallelMergeRuns + 3)).map { run in
            RunStatisticsCache.RunEntry(positions: Array(types.indices), statistics: types.enumerated().map { position, type in
                var column = Column(type: type)
                for _ in 0..<(50 + run * 40 + position * 7) {
                    switch type {
                    case .float64: column.append(Double.random(in: 0..<Double(position + run + 1), using: &rng))
                    case .string: column.append("v\(Int.random(in: 0..<(run + 3), using: &rng))")
                    case .int64: column.append(Int64.random(in: -1000...Int64(run * 100), using: &rng))
                    default: column.append(Bool.random(using: &rng))
                    }
                }
                var statistics = FeatureStatistics(name: "f\(position)", type: type)
                statistics.add(column, skipping: nil, scratch: &scratch)
                return statistics
            })
        }
        let empty = types.enumerated().map { FeatureStatistics(name: "f\($0.offset)", type: $0.element) }
        var sequential = empty
        for entry in entries {
            for (position, statistics) in zip(entry.positions, entry.statistics) { sequential[position].merge(statistics) }
        }
        var merged = ViewStatistics(view: "v", version: 1, features: empty)
        merged.merge(entries)
        let same = merged.features == sequential // (their description runs to megabytes)
        #expect(same, "the merged statistics differ from the run-by-run merge")
        // A few runs take the sequential path: the same figures for them.
        var few = ViewStatistics(view: "v", version: 1, features: empty)
        few.merge(Array(entries.prefix(3)))
        var firstThree = empty
        for entry in entries.prefix(3) {
            for (position, statistics) in zip(entry.positions, entry.statistics) { firstThree[position].merge(statistics) }
        }
        #expect(few.features == firstThree)
    }

    @Test(arguments: TestEngine.all)
    func statisticsOfManyRunsAreThoseOfTheirUnion(engine: TestEngine) throws {
        let s = try store(engine)
        var all: [[String: FeatureValue]] = []
        for seed in UInt64(0)..<UInt64(ViewStatistics.parallelMergeRuns + 4) {
            let rows = Self.rows(seed: seed + 10, count: 150 + Int(seed) * 37, firstKey: Int64(seed) * 10_000)
            _ = try s.write(view: "driver_stats", rows: rows)
            all += rows
        }
        let merged = try s.statistics(view: "driver_stats")
        #expect(merged.runs.count == ViewStatistics.parallelMergeRuns + 4)
        Self.check(merged, all)
    }

    @Test(arguments: TestEngine.all)
    func rejectedRowsAreNotCounted(engine: TestEngine) throws {
        let s = try store(engine)
        var lines = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        for i in 0..<100 { lines.append("\(i),2024-01-01T00:00:\(String(format: "%02d", i % 60))Z,\(i % 10 == 0 ? "5" : "0.5"),1,\(i),x") }
        let path = try dir.write("in.csv", lines.joined(separator: "\n") + "\n")
        var options = IngestOptions()
        options.onError = .skip
        options.rejectFile = .file(dir.file("rejects.jsonl"))
        let result = try s.backfill(view: "driver_stats", input: .file(path), options: options)
        #expect(result.rowsWritten == 90 && result.rowsRejected == 10)
        let conv = try s.statistics(view: "driver_stats").summaries[0]
        #expect(conv.rows == 90 && conv.max == 0.5 && conv.min == 0.5)
    }

    @Test(arguments: TestEngine.all)
    func aFailedRunLeavesNoStatistics(engine: TestEngine) throws {
        let s = try store(engine)
        var rows = Self.rows(seed: 3, count: 100)
        rows[50]["conv_rate"] = .float64(7) // above max 1: the run is refused
        #expect(throws: LarderError.self) { try s.write(view: "driver_stats", rows: rows) }
        #expect(try s.testInt("SELECT COUNT(*) FROM run_statistics") == 0)
        let none = try s.statistics(view: "driver_stats")
        #expect(none.runs.isEmpty && none.summaries[0].rows == 0 && none.summaries[0].mean == nil)
    }

    @Test(arguments: TestEngine.all)
    func runsAreChosenByIdOfThisVersion(engine: TestEngine) throws {
        let s = try store(engine)
        let run = try s.write(view: "driver_stats", rows: Self.rows(seed: 4, count: 10)).runID!
        #expect(throws: LarderError.self) { try s.statistics(view: "driver_stats", runs: .run(run + 1)) }
        do {
            _ = try s.statistics(view: "driver_stats", runs: .run(run + 1))
        } catch {
            #expect(error.category == .notFound && error.message.contains("run \(run + 1)"))
        }
        #expect(throws: LarderError.self) { try s.statistics(view: "no_such_view") }
        // A run from before statistics were recorded is listed apart.
        try s.testSQL("DELETE FROM run_statistics")
        let old = try s.statistics(view: "driver_stats")
        #expect(old.runs.isEmpty && old.runsWithoutStatistics == [run])
        #expect(old.json().contains("\"runs_without_statistics\":[\(run)]"))
    }
}
