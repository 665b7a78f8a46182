import Synchronization
import Testing
@testable import Larder

/// Random timelines checked three ways: the cached path, the SQLite path and
/// a brute-force oracle (plain loops over a case's rows, written from
/// semantics §3 without the cache's sorting or searching).
@Suite struct PointInTimePropertyTests {
    struct Row {
        var key: Int64
        var event: Int64
        var created: Int64
        var run: Int64
        var committedAt: Int64
        var number: Int64?
        var text: String?
    }

    struct Expected: Equatable, CustomStringConvertible {
        var number: FeatureValue
        var text: FeatureValue
        var status: FeatureStatus
        var description: String { "\(number), \(text), \(status)" }
    }

    /// The oracle: every row of the key seen at `asOf`, in the window, the
    /// greatest by (event, created, run).
    static func oracle(_ rows: [Row], ttl: Int64, key: Int64, at time: Int64, asOf: Int64) -> Expected {
        var best: Row?
        var seen = false
        for row in rows where row.key == key && row.committedAt <= asOf {
            seen = true
            guard row.event <= time, ttl == 0 || row.event >= time - ttl else { continue }
            if let b = best, (b.event, b.created, b.run) > (row.event, row.created, row.run) { continue }
            best = row
        }
        guard let best else { return Expected(number: .null, text: .null, status: seen ? .outsideMaxAge : .notFound) }
        return Expected(number: best.number.map { .int64($0) } ?? .null, text: best.text.map { .string($0) } ?? .null,
                        status: best.number == nil ? .nullValue : .present)
    }

    static let ttls: [Int64] = [0, 3, 7]
    static let casesPerView = 400
    /// Horizons the spine rows pick from (`Int64.max`: now).
    static let horizons: [Int64] = [95, 112, 125, 133, 141, 165, 180, .max]

    /// A random timeline for case `c`: keys `c * 10 + 0…2`, events 0…24 (so
    /// many ties), created 0…2, runs `runs` committed at increasing times.
    static func timeline(case c: Int, runs: [(id: Int64, committedAt: Int64)], random: inout SplitMix64) -> [Row] {
        var rows: [Row] = []
        var keys = Set<[Int64]>()
        for _ in 0..<Int.random(in: 0...14, using: &random) {
            let run = runs.randomElement(using: &random)!
            let row = Row(key: Int64(c * 10 + Int.random(in: 0...2, using: &random)), event: Int64.random(in: 0...24, using: &random),
                          created: Int64.random(in: 0...2, using: &random), run: run.id, committedAt: run.committedAt,
                          number: Int.random(in: 0..<5, using: &random) == 0 ? nil : Int64.random(in: -1000...1000, using: &random),
                          text: Bool.random(using: &random) ? nil : Self.randomText(using: &random))
            if keys.insert([row.key, row.event, row.created, row.run]).inserted { rows.append(row) }
        }
        return rows
    }

    /// A text value: empty, short (the gathers' inline copy) or longer than
    /// 16 bytes (their bulk copy), of varied letters so a misplaced byte shows.
    static func randomText(using random: inout some RandomNumberGenerator) -> String {
        let length = [0, Int.random(in: 1...16, using: &random), Int.random(in: 17...40, using: &random)].randomElement(using: &random)!
        return String((0..<length).map { _ in "abcdéfgh".randomElement(using: &random)! })
    }

    static func insert(_ rows: [Row], runs: [(id: Int64, committedAt: Int64)], view: String, into store: FeatureStore) throws {
        for run in runs { try store.testInsertRun(id: run.id, view: view, committedAt: run.committedAt) }
        try store.testInsertRows(view: view, rows.map { row in
            [.int64(row.key), .int64(row.event), .int64(row.created), .int64(row.run),
             row.number.map { .int64($0) } ?? .null, row.text.map { .string($0) } ?? .null]
        })
    }

    /// Inserts `rows` of `runs` in commits of random groups of runs, the
    /// caches of the compacting stores refreshed after each (a delta segment
    /// per commit), their compactions paused or not at random: random splits
    /// of runs between base and segments, with compactions in between.
    static func insert(_ rows: [Row], runs: [(id: Int64, committedAt: Int64)], view: String, into stores: PointInTimeStores,
                       random: inout SplitMix64) throws {
        var start = 0
        while start < runs.count {
            let end = min(runs.count, start + Int.random(in: 1...(runs.count / 4 + 1), using: &random))
            let ids = Set(runs[start..<end].map(\.id))
            try insert(rows.filter { ids.contains($0.run) }, runs: Array(runs[start..<end]), view: view, into: stores.cached)
            stores.segmented.cache.compactionPaused.store(Bool.random(using: &random), ordering: .releasing)
            try stores.refreshCompactingStores()
            start = end
        }
        stores.segmented.cache.compactionPaused.store(false, ordering: .releasing)
    }

    @Test(arguments: TestEngine.all)
    func cacheEngineAndOracleAgree(engine: TestEngine) throws {
        var random = SplitMix64(seed: 20_261_126)
        let stores = try PointInTimeStores(engine: engine)
        var definitions = Definitions(file: "property")
        definitions.entities = [Entity(name: "thing", joinKeys: [JoinKey(name: "id", type: .int64)])]
        definitions.featureViews = Self.ttls.enumerated().map { i, ttl in
            FeatureViewDefinition(name: "view_\(i)", entity: "thing", ttl: ttl,
                                  features: [FeatureDefinition(name: "number", type: .int64), FeatureDefinition(name: "text", type: .string)])
        }
        try stores.cached.apply(definitions)
        // The segmented store caches the views while they are empty: every row it holds is in delta segments or in bases it folded.
        _ = try stores.segmented.reader(features: Self.ttls.indices.map { FeatureReference(view: "view_\($0)", feature: nil) }, fullNames: true)

        // rows[view][case]
        var rows = Array(repeating: Array(repeating: [Row](), count: Self.casesPerView), count: Self.ttls.count)
        var nextRun: Int64 = 1
        // Phase 1 builds the timelines; phases 2 and 3 add corrections and new
        // rows in later runs, which the cache reads as a delta over the base
        // snapshot (and the compacting store folds into new bases).
        for phase in 0..<3 {
            for v in Self.ttls.indices {
                var phaseRows: [Row] = []
                var phaseRuns: [(id: Int64, committedAt: Int64)] = []
                for c in 0..<Self.casesPerView {
                    let base: Int64 = phase == 0 ? 100 : 130 + 20 * Int64(phase)
                    var commit = base
                    let runs = (0..<3).map { _ -> (id: Int64, committedAt: Int64) in
                        commit += Int64.random(in: 0...12, using: &random)
                        defer { nextRun += 1 }
                        return (nextRun, commit)
                    }
                    var new = Self.timeline(case: c, runs: runs, random: &random)
                    if phase > 0 {
                        // Corrections: same key, event and created as an earlier row, in a later run.
                        for old in rows[v][c].shuffled(using: &random).prefix(3) {
                            let run = runs.randomElement(using: &random)!
                            var fixed = old
                            fixed.run = run.id
                            fixed.committedAt = run.committedAt
                            fixed.number = Bool.random(using: &random) ? nil : Int64.random(in: -1000...1000, using: &random)
                            if !new.contains(where: { ($0.key, $0.event, $0.created, $0.run) == (fixed.key, fixed.event, fixed.created, fixed.run) }) {
                                new.append(fixed)
                            }
                        }
                    }
                    rows[v][c] += new
                    phaseRows += new
                    phaseRuns += runs
                }
                try Self.insert(phaseRows, runs: phaseRuns, view: "view_\(v)", into: stores, random: &random)
            }
            try check(stores, rows: rows, random: &random)
        }
        // Once compactions are over, the answers are the same.
        stores.waitForCompactions()
        try check(stores, rows: rows, random: &random)
        // Later phases were added to the cached views, not left to SQLite: as
        // delta segments over a mapped base (cache), folded into new bases
        // (compacting), or merged segments (segmented).
        for store in [stores.cached, stores.compacting, stores.segmented] {
            let contents = store.cache.contents
            #expect(contents.refused.isEmpty)
            for v in Self.ttls.indices {
                let view = try store.registry.view("view_\(v)")
                let cached = try #require(contents.snapshot(of: view))
                #expect(cached.rowCount == rows[v].reduce(0) { $0 + $1.count })
                #expect(cached.base.isMapped)
                if store === stores.cached { #expect(!cached.deltas.isEmpty) }
                if store === stores.compacting { #expect(cached.deltaRows <= max(40, cached.base.rowCount / 8)) }
                if store === stores.segmented { #expect(cached.deltas.count <= 2) }
            }
        }
        // (The cache store's segments are merged only where the engine's notifications refreshed it after many commits: PostgreSQL.)
        #expect(stores.cached.cache.folds.load(ordering: .relaxed) == 0)
        #expect(stores.compacting.cache.folds.load(ordering: .relaxed) > 0)
        #expect(stores.segmented.cache.merges.load(ordering: .relaxed) > 0 && stores.segmented.cache.folds.load(ordering: .relaxed) == 0)
    }

    /// Historical retrieval at random times and horizons, online retrieval,
    /// readers and entity-less retrieval, on both paths, against the oracle.
    func check(_ stores: PointInTimeStores, rows: [[[Row]]], random: inout SplitMix64) throws {
        let features = Self.ttls.indices.map { FeatureReference(view: "view_\($0)", feature: nil) }
        let now = Timestamp.nowMicroseconds()
        // One spine per horizon: 12 queries per case, keys present or missing,
        // times before, between, at and after the rows.
        var queries: [Int64: [(key: Int64, time: Int64, c: Int)]] = [:]
        for c in 0..<Self.casesPerView {
            for _ in 0..<12 {
                let key = Int64(c * 10 + [0, 1, 2, 5].randomElement(using: &random)!)
                let asOf = Self.horizons.randomElement(using: &random)!
                queries[asOf, default: []].append((key, Int64.random(in: -2...27, using: &random), c))
            }
        }
        for (asOf, spine) in queries {
            let frame = try testSpine(keys: spine.map(\.key), times: spine.map(\.time))
            for (path, store) in try stores.paths() {
                let result = try store.historicalFeatures(spine: frame, features: features, asOf: asOf == .max ? nil : Timestamp(microseconds: asOf), fullNames: true)
                let plan = try RetrievalPlan(store.registry.resolve(features), fullNames: true)
                let statuses = try store.historical(spine: frame, plan: plan, asOf: asOf == .max ? now : asOf, statuses: true).statuses
                for v in Self.ttls.indices {
                    let numbers = result["view_\(v)__number"]!, texts = result["view_\(v)__text"]!
                    for (q, query) in spine.enumerated() {
                        let expected = Self.oracle(rows[v][query.c], ttl: Self.ttls[v], key: query.key, at: query.time, asOf: asOf)
                        let got = Expected(number: numbers.value(q), text: texts.value(q), status: statuses[v * 2][q])
                        #expect(got == expected, "[\(path)] view_\(v) key \(query.key) at \(query.time) as of \(asOf)")
                    }
                }
            }
        }

        // Online and prepared readers: T = asOf = now.
        let keys = (0..<Self.casesPerView).flatMap { c in [0, 1, 2, 5].map { Int64(c * 10 + $0) } }
        let entities = FeatureFrame(names: ["id"], columns: [try testColumn(.int64, keys.map { .int64($0) })])
        for (path, store) in try stores.paths() {
            let online = try store.onlineFeatures(entities: entities, features: features, fullNames: true)
            let reader = try store.reader(features: features, fullNames: true)
            let single = try store.reader(features: [features[0]])
            for v in Self.ttls.indices {
                for (e, key) in keys.enumerated() {
                    let expected = Self.oracle(rows[v][Int(key / 10)], ttl: Self.ttls[v], key: key, at: now, asOf: now)
                    let got = Expected(number: online.values[v * 2].value(e), text: online.values[v * 2 + 1].value(e), status: online.statuses[v * 2][e])
                    #expect(got == expected, "[\(path)] online view_\(v) key \(key)")
                    if v == 0 {
                        let row = try reader.read(key: key)
                        let read = Expected(number: row.int64(at: 0).map { .int64($0) } ?? .null,
                                            text: row.string(at: 1).map { .string($0) } ?? .null, status: row.status(at: 0))
                        #expect(read == expected, "[\(path)] reader key \(key)")
                        let one = try single.read(key: key)
                        #expect(one.value(at: 0) == expected.number && one.value(at: 1) == expected.text && one.status(at: 0) == expected.status,
                                "[\(path)] single-view reader key \(key)")
                    }
                }
            }
        }

        // Entity-less: every key seen at the horizon, ascending.
        for _ in 0..<4 {
            let time = Int64.random(in: -2...27, using: &random)
            let asOf = Self.horizons.randomElement(using: &random)!
            var expectedKeys: [Int64] = []
            for c in 0..<Self.casesPerView {
                let seen = Set(Self.ttls.indices.flatMap { rows[$0][c] }.filter { $0.committedAt <= asOf }.map(\.key))
                expectedKeys += seen.sorted()
            }
            for (path, store) in try stores.paths() {
                let result = try store.historicalFeatures(at: Timestamp(microseconds: time), features: features, asOf: asOf == .max ? nil : Timestamp(microseconds: asOf), fullNames: true)
                #expect(result.names.prefix(2) == ["id", "event_timestamp"])
                #expect(testValues(result["id"]!) == expectedKeys.map { .int64($0) }, "[\(path)] entity-less keys at \(time) as of \(asOf)")
                guard result.rowCount == expectedKeys.count else { continue }
                #expect(testValues(result["event_timestamp"]!).allSatisfy { $0 == .timestamp(Timestamp(microseconds: time)) })
                for v in Self.ttls.indices {
                    let numbers = result["view_\(v)__number"]!
                    for (r, key) in expectedKeys.enumerated() {
                        let expected = Self.oracle(rows[v][Int(key / 10)], ttl: Self.ttls[v], key: key, at: time, asOf: asOf)
                        #expect(numbers.value(r) == expected.number, "[\(path)] entity-less view_\(v) key \(key) at \(time) as of \(asOf)")
                    }
                }
            }
        }
    }
}
