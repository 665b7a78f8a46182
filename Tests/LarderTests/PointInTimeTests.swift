import Foundation
import Testing
@testable import Larder

@Suite struct PointInTimeTests {
    static let second: Int64 = 1_000_000
    static let base: Int64 = 1_795_687_200_000_000 // 2026-11-26T10:00:00Z

    // MARK: Keys

    @Test(arguments: TestEngine.all)
    func compositeAndStringKeys(engine: TestEngine) throws {
        let stores = try PointInTimeStores(engine: engine, yaml: """
            entities:
              - name: pair
                join_keys: [{name: user_id, type: int64}, {name: merchant, type: string}]
              - name: word
                join_keys: [{name: w, type: string}]
            feature_views:
              - name: spend
                entity: pair
                ttl: 0
                features: [{name: amount, type: float64}, {name: note, type: string}]
              - name: words
                entity: word
                ttl: 0
                features: [{name: n, type: int64}]
            """)
        let store = stores.cached
        try store.testInsertRun(id: 1, view: "spend", committedAt: 1)
        try store.testInsertRows(view: "spend", [
            [.int64(1), .string("acme"), .int64(100), .int64(100), .int64(1), .float64(1.5), .string("one-acme")],
            [.int64(1), .string("acme"), .int64(200), .int64(200), .int64(1), .float64(2.5), .null],
            [.int64(1), .string("zeta"), .int64(100), .int64(100), .int64(1), .float64(3.5), .string("one-zeta")],
            [.int64(2), .string("acme"), .int64(100), .int64(100), .int64(1), .float64(4.5), .string("two-acme")],
            [.int64(-3), .string(""), .int64(100), .int64(100), .int64(1), .float64(5.5), .string("empty")],
        ])
        try store.testInsertRun(id: 2, view: "words", committedAt: 1)
        try store.testInsertRows(view: "words", [
            [.string("hello"), .int64(100), .int64(100), .int64(2), .int64(5)],
            [.string("héllo"), .int64(100), .int64(100), .int64(2), .int64(6)],
            [.string("hello world, a key longer than eight bytes"), .int64(100), .int64(100), .int64(2), .int64(7)],
        ])

        let spine = FeatureFrame(names: ["label", "merchant", "user_id", "event_timestamp"], columns: [
            try testColumn(.string, [.string("a"), .string("b"), .string("c"), .string("d"), .string("e"), .string("f")]),
            try testColumn(.string, [.string("acme"), .string("acme"), .string("zeta"), .string("acme"), .string("zeta"), .string("")]),
            try testColumn(.int64, [.int64(1), .int64(1), .int64(1), .int64(2), .int64(2), .int64(-3)]),
            try testColumn(.timestamp, [.timestamp(150), .timestamp(250), .timestamp(150), .timestamp(150), .timestamp(150), .timestamp(100)]),
        ])
        let features = [FeatureReference(view: "spend", feature: nil)]
        for (path, store) in try stores.paths() {
            let result = try store.historicalFeatures(spine: spine, features: features)
            #expect(result.names == ["label", "merchant", "user_id", "event_timestamp", "amount", "note"], "\(path)")
            #expect(testValues(result["label"]!) == testValues(spine["label"]!), "\(path)")
            #expect(testValues(result["amount"]!) == [.float64(1.5), .float64(2.5), .float64(3.5), .float64(4.5), .null, .float64(5.5)], "\(path)")
            #expect(testValues(result["note"]!) == [.string("one-acme"), .null, .string("one-zeta"), .string("two-acme"), .null, .string("empty")], "\(path)")

            let reader = try store.reader(features: features)
            #expect(reader.joinKeys.map(\.name) == ["user_id", "merchant"])
            let row = try reader.read(key: EntityKey(.int64(1), .string("zeta")))
            #expect(row.double("amount") == 3.5 && row.string("note") == "one-zeta" && row.status(at: 0) == .present, "\(path)")
            #expect(try reader.read(key: EntityKey(.int64(1), .string("nope"))).status(at: 1) == .notFound, "\(path)")
            #expect(throws: LarderError.self) { try reader.read(key: 1) }
            #expect(throws: LarderError.self) { try reader.read(key: EntityKey(.string("acme"), .int64(1))) }

            let words = try store.reader(features: [FeatureReference(view: "words", feature: "n")])
            #expect(try words.read(key: "hello").int64(at: 0) == 5, "\(path)")
            #expect(try words.read(key: "héllo").int64("n") == 6, "\(path)")
            #expect(try words.read(key: "hello world, a key longer than eight bytes").int64(at: 0) == 7, "\(path)")
            #expect(try words.read(key: "hello ").status(at: 0) == .notFound, "\(path)")
            #expect(throws: LarderError.self) { try words.read(key: 5) }

            // Entity-less: composite keys in SQLite's order (integers, then bytes).
            let all = try store.historicalFeatures(at: 150, features: features)
            #expect(all.names == ["user_id", "merchant", "event_timestamp", "amount", "note"])
            #expect(testValues(all["user_id"]!) == [.int64(-3), .int64(1), .int64(1), .int64(2)], "\(path)")
            #expect(testValues(all["merchant"]!) == [.string(""), .string("acme"), .string("zeta"), .string("acme")], "\(path)")
            #expect(testValues(all["amount"]!) == [.float64(5.5), .float64(1.5), .float64(3.5), .float64(4.5)], "\(path)")
            let wordKeys = try store.historicalFeatures(at: 150, features: [FeatureReference(view: "words", feature: "n")])
            #expect(testValues(wordKeys["w"]!) == [.string("hello"), .string("hello world, a key longer than eight bytes"), .string("héllo")], "\(path)")
        }
    }

    @Test(arguments: TestEngine.all)
    func manyKeysInTheHashIndex(engine: TestEngine) throws {
        let stores = try PointInTimeStores(engine: engine, yaml: """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: v, entity: thing, ttl: 0, features: [{name: x, type: int64}]}]
            """)
        try stores.cached.testInsertRun(id: 1, view: "v", committedAt: 1)
        let keys = (0..<5000).map { Int64($0) * 7919 - 20_000 }
        try stores.cached.testInsertRows(view: "v", keys.flatMap { key in
            [[.int64(key), .int64(10), .int64(0), .int64(1), .int64(key)], [.int64(key), .int64(20), .int64(0), .int64(1), .int64(key * 2)]]
        })
        let reader = try stores.cached.reader(features: [FeatureReference(view: "v", feature: "x")])
        for key in keys { #expect(try reader.read(key: key).int64(at: 0) == key * 2) }
        #expect(try reader.read(key: 1).status(at: 0) == .notFound)
        let spine = try testSpine(keys: keys, times: keys.map { _ in 15 })
        let result = try stores.cached.historicalFeatures(spine: spine, features: [FeatureReference(view: "v", feature: "x")])
        #expect(testValues(result["x"]!) == keys.map { .int64($0) })
    }

    // MARK: Versions and names

    @Test(arguments: TestEngine.all)
    func severalVersionsOfAView(engine: TestEngine) throws {
        let v1 = """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: stats, entity: thing, ttl: 0, features: [{name: a, type: int64}]}]
            """
        let stores = try PointInTimeStores(engine: engine, yaml: v1)
        let s = Self.second, t0 = Self.base
        try stores.cached.testInsertRun(id: 1, view: "stats", committedAt: 1)
        try stores.cached.testInsertRows(view: "stats", [
            [.int64(1), .int64(t0), .int64(t0), .int64(1), .int64(10)],
            [.int64(2), .int64(t0), .int64(t0), .int64(1), .int64(20)],
        ])
        // Version 2: a TTL and a new feature, with version 1's rows carried over.
        let v2 = v1.replacingOccurrences(of: "ttl: 0, features: [{name: a, type: int64}]",
                                         with: "ttl: 10s, features: [{name: a, type: int64}, {name: b, type: string}]")
        try stores.cached.apply(Definitions.parse(yaml: v2, file: "v2.yaml"), carryData: true)
        try stores.cached.testInsertRun(id: 2, view: "stats", version: 2, committedAt: 2)
        try stores.cached.testInsertRows(view: "stats", version: 2, [
            [.int64(1), .int64(t0 + 30 * s), .int64(t0 + 30 * s), .int64(2), .int64(11), .string("new")],
        ])
        let spine = try testSpine(keys: [1, 1, 2, 2], times: [t0 + 5 * s, t0 + 35 * s, t0 + 5 * s, t0 + 35 * s])
        for (path, store) in try stores.paths() {
            let old = try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "stats@1:a")])
            #expect(testValues(old["a"]!) == [.int64(10), .int64(10), .int64(20), .int64(20)], "\(path)")
            let new = try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "stats:*")], fullNames: true)
            #expect(new.names.suffix(2) == ["stats__a", "stats__b"])
            #expect(testValues(new["stats__a"]!) == [.int64(10), .int64(11), .int64(20), .null], "\(path)")
            #expect(testValues(new["stats__b"]!) == [.null, .string("new"), .null, .null], "\(path)")
            // Versions 1 and 2 side by side, each with its own TTL.
            let both = try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "stats@1:a"), FeatureReference(parsing: "stats@2:b")])
            #expect(testValues(both["a"]!) == [.int64(10), .int64(10), .int64(20), .int64(20)], "\(path)")
            #expect(throws: LarderError.self, "the same name twice") {
                try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "stats@1:a"), FeatureReference(parsing: "stats@2:a")])
            }
        }
        #expect(stores.cached.cache.contents.snapshots.count == 2)
    }

    @Test(arguments: TestEngine.all)
    func namesEntitiesAndUsageErrors(engine: TestEngine) throws {
        let stores = try PointInTimeStores(engine: engine, yaml: """
            entities:
              - {name: driver, join_keys: [{name: driver_id, type: int64}]}
              - {name: town, join_keys: [{name: town, type: string}]}
            feature_views:
              - {name: stats, entity: driver, ttl: 0, features: [{name: city, type: string}, {name: rate, type: float64}]}
              - {name: trips, entity: driver, ttl: 0, features: [{name: city, type: string}]}
              - {name: towns, entity: town, ttl: 0, features: [{name: population, type: int64}]}
            """)
        try stores.cached.testInsertRun(id: 1, view: "stats", committedAt: 1)
        try stores.cached.testInsertRows(view: "stats", [[.int64(1), .int64(10), .int64(0), .int64(1), .string("Paris"), .float64(0.5)]])
        try stores.cached.testInsertRun(id: 2, view: "trips", committedAt: 1)
        try stores.cached.testInsertRows(view: "trips", [[.int64(1), .int64(10), .int64(0), .int64(2), .string("Lyon")]])
        try stores.cached.testInsertRun(id: 3, view: "towns", committedAt: 1)
        try stores.cached.testInsertRows(view: "towns", [[.string("Paris"), .int64(10), .int64(0), .int64(3), .int64(2_100_000)]])
        let keys = try testColumn(.int64, [.int64(1), .null, .int64(1)])
        let towns = try testColumn(.string, [.string("Paris"), .string("Paris"), .null])
        let times = try testColumn(.timestamp, [.timestamp(10), .timestamp(10), .timestamp(10)])
        let spine = FeatureFrame(names: ["driver_id", "town", "event_timestamp"], columns: [keys, towns, times])
        let refs = { (text: String) in try FeatureReference.parseList(text) }
        func isUsage(_ error: LarderError?) -> Bool {
            error?.category == .invalidInput
        }

        for (path, store) in try stores.paths() {
            // Several views and several entities in one call; a null key gives nulls.
            let result = try store.historicalFeatures(spine: spine, features: refs("stats:rate,towns:population,trips:city"))
            #expect(result.names == ["driver_id", "town", "event_timestamp", "rate", "population", "city"])
            #expect(testValues(result["rate"]!) == [.float64(0.5), .null, .float64(0.5)], "\(path)")
            #expect(testValues(result["population"]!) == [.int64(2_100_000), .int64(2_100_000), .null], "\(path)")
            #expect(testValues(result["city"]!) == [.string("Lyon"), .null, .string("Lyon")], "\(path)")
            // The same short name twice needs full names.
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: spine, features: refs("stats:city,trips:city")) }))
            let full = try store.historicalFeatures(spine: spine, features: refs("stats:city,trips:city"), fullNames: true)
            #expect(full.names.suffix(2) == ["stats__city", "trips__city"])
            #expect(testValues(full["stats__city"]!) == [.string("Paris"), .null, .string("Paris")], "\(path)")
            // The spine: join keys, their types, event_timestamp, names.
            let noTown = FeatureFrame(names: ["driver_id", "event_timestamp"], columns: [keys, times])
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: noTown, features: refs("towns:population")) }))
            let textKeys = FeatureFrame(names: ["driver_id", "event_timestamp"], columns: [towns, times])
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: textKeys, features: refs("stats:rate")) }))
            let noTime = FeatureFrame(names: ["driver_id"], columns: [keys])
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: noTime, features: refs("stats:rate")) }))
            let nullTime = FeatureFrame(names: ["driver_id", "event_timestamp"], columns: [keys, try testColumn(.timestamp, [.timestamp(1), .null, .timestamp(1)])])
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: nullTime, features: refs("stats:rate")) }))
            let named = FeatureFrame(names: ["driver_id", "event_timestamp", "rate"], columns: [keys, times, keys])
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: named, features: refs("stats:rate")) }))
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(spine: spine, features: []) }))
            #expect(isUsage(#expect(throws: LarderError.self) { try store.historicalFeatures(at: 10, features: refs("stats:rate,towns:population")) }))
            #expect(isUsage(#expect(throws: LarderError.self) { try store.reader(features: refs("stats:rate,towns:population")) }))
            let unknown = #expect(throws: LarderError.self) { try store.historicalFeatures(spine: spine, features: refs("stats:nope")) }
            #expect(unknown?.category == .notFound, "\(String(describing: unknown))")
            // Entity-less over two views of one entity: the union of their keys.
            let batch = try store.historicalFeatures(at: 10, features: refs("stats:rate,trips:city"))
            #expect(batch.names == ["driver_id", "event_timestamp", "rate", "city"])
            #expect(testValues(batch["driver_id"]!) == [.int64(1)], "\(path)")
        }
    }

    // MARK: Online

    @Test(arguments: TestEngine.all)
    func onlineStatusesAndTypedReader(engine: TestEngine) throws {
        let stores = try PointInTimeStores(engine: engine, yaml: exampleDefinitions)
        let now = Timestamp.nowMicroseconds(), minute: Int64 = 60 * Self.second, day = 1440 * minute
        try stores.cached.testInsertRun(id: 1, view: "driver_stats", committedAt: now - minute)
        func row(_ id: Int64, _ event: Int64, _ conv: FeatureValue, _ trips: FeatureValue, _ city: FeatureValue) -> [FeatureValue] {
            [.int64(id), .int64(event), .int64(event), .int64(1), conv, .float64(0.5), trips, city]
        }
        try stores.cached.testInsertRows(view: "driver_stats", [
            row(1001, now - 10 * minute, .float64(0.25), .int64(12), .string("Paris")),
            row(1002, now - 10 * minute, .null, .int64(3), .null),
            row(1003, now - 8 * day, .float64(0.75), .int64(1), .string("Oslo")),
            row(1005, now + day, .float64(0.5), .int64(1), .string("Rome")),
            // The answer now is not the key's latest row (that one is in the future).
            row(1006, now - minute, .float64(0.125), .int64(6), .string("Bern")),
            row(1006, now + day, .float64(0.875), .null, .null),
        ])
        let entities = FeatureFrame(names: ["driver_id"], columns: [try testColumn(.int64, [1001, 1002, 1003, 1004, 1005].map { .int64($0) })])
        let features = [FeatureReference(view: "driver_stats", feature: "conv_rate"), FeatureReference(view: "driver_stats", feature: "city")]
        for (path, store) in try stores.paths() {
            let online = try store.onlineFeatures(entities: entities, features: features)
            #expect(online.featureNames == ["conv_rate", "city"])
            #expect(online.entityCount == 5)
            #expect(online.statuses[0] == [.present, .nullValue, .outsideMaxAge, .notFound, .outsideMaxAge], "\(path)")
            #expect(online.statuses[1] == [.present, .nullValue, .outsideMaxAge, .notFound, .outsideMaxAge], "\(path)")
            #expect(testValues(online.values[0]) == [.float64(0.25), .null, .null, .null, .null], "\(path)")
            #expect(testValues(online.values[1]) == [.string("Paris"), .null, .null, .null, .null], "\(path)")

            let reader = try store.reader(featureSet: "driver_ranking")
            #expect(reader.featureNames == ["conv_rate", "avg_daily_trips"])
            let first = try reader.read(key: 1001)
            #expect(first.count == 2 && first.featureNames == reader.featureNames)
            #expect(first.double(at: 0) == 0.25 && first.double("conv_rate") == 0.25, "\(path)")
            #expect(first.int64(at: 1) == 12 && first.int64("driver_stats__avg_daily_trips") == 12, "\(path)")
            #expect(first.value(at: 1) == .int64(12) && first.status("conv_rate") == .present, "\(path)")
            #expect(reader.position(of: "avg_daily_trips") == 1 && first.position(of: "nope") == nil)
            let second = try reader.read(key: 1002)
            #expect(second.double(at: 0) == nil && second.status(at: 0) == .nullValue && second.int64(at: 1) == 3, "\(path)")
            #expect(try reader.read(key: 1003).status(at: 1) == .outsideMaxAge, "\(path)")
            #expect(try reader.read(key: 1004).value(at: 0) == .null, "\(path)")
            let past = try reader.read(key: 1006)
            #expect(past.double(at: 0) == 0.125 && past.int64(at: 1) == 6 && past.status(at: 1) == .present, "\(path)")

            let everything = try store.reader(features: [FeatureReference(view: "driver_stats", feature: nil)], fullNames: true)
            let full = try everything.read(key: 1001)
            #expect(full.featureNames == ["driver_stats__conv_rate", "driver_stats__acc_rate", "driver_stats__avg_daily_trips", "driver_stats__city"])
            #expect(full.string("city") == "Paris" && full.double(at: 1) == 0.5, "\(path)")
        }
    }

    // MARK: Types

    @Test(arguments: TestEngine.all)
    func everyTypeThroughBothPaths(engine: TestEngine) throws {
        let stores = try PointInTimeStores(engine: engine, yaml: everyTypeDefinitions())
        try stores.cached.testInsertRun(id: 1, view: "typed", committedAt: 1)
        let long = "a string longer than sixteen bytes, ß"
        let first: [FeatureValue] = [.int64(-7), .float64(.nan), .bool(true), .string(long), .bytes([0, 255, 1]), .timestamp(Timestamp(microseconds: Self.base)), .vector([1.5, -2, 0.25])]
        let second: [FeatureValue] = [.int64(0), .float64(0), .bool(false), .string(""), .bytes(Array(0..<20)), .timestamp(-1), .vector([0, 0, 0])]
        let nulls = [FeatureValue](repeating: .null, count: 7)
        try stores.cached.testInsertRows(view: "typed", [
            [.int64(1), .int64(10), .int64(10), .int64(1)] + first,
            [.int64(2), .int64(10), .int64(10), .int64(1)] + second,
            [.int64(3), .int64(10), .int64(10), .int64(1)] + nulls,
        ])
        let spine = try testSpine(keys: [1, 2, 3], times: [10, 10, 10])
        for (path, store) in try stores.paths() {
            let result = try store.historicalFeatures(spine: spine, features: [FeatureReference(view: "typed", feature: nil)])
            let rows = (0..<3).map { r in result.columns.dropFirst(2).map { $0.value(r) } }
            #expect(result["f"]!.doubles[0].isNaN, "\(path)")
            #expect(rows[0].enumerated().allSatisfy { $0.offset == 1 || $0.element == first[$0.offset] }, "\(path): \(rows[0])")
            #expect(rows[1] == second, "\(path)")
            #expect(rows[2] == nulls, "\(path)")
            let reader = try store.reader(features: [FeatureReference(view: "typed", feature: nil)])
            let row = try reader.read(key: 1)
            #expect(row.int64("i") == -7 && row.double("f")!.isNaN && row.bool("b") == true && row.string("s") == long, "\(path)")
            #expect(row.bytes("raw") == [0, 255, 1] && row.int64("t") == Self.base && row.vector("e") == [1.5, -2, 0.25], "\(path)")
            let other = try reader.read(key: 2)
            #expect(other.int64(at: 0) == 0 && other.double(at: 1) == 0 && other.bool(at: 2) == false && other.string(at: 3) == "", "\(path)")
            #expect(other.bytes(at: 4) == Array(0..<20) && other.int64(at: 5) == -1 && other.vector(at: 6) == [0, 0, 0], "\(path)")
            #expect((0..<7).map { other.value(at: $0) } == second, "\(path)")
            #expect(try reader.read(key: 3).vector(at: 6) == nil, "\(path)")
        }
    }

    // MARK: Refresh

    @Test func writesAreSeenByTheCache() throws {
        let stores = try PointInTimeStores(yaml: """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: v, entity: thing, ttl: 0, features: [{name: x, type: int64}]}]
            """)
        let store = stores.cached
        try store.testInsertRun(id: 1, view: "v", committedAt: 1)
        try store.testInsertRows(view: "v", [[.int64(1), .int64(10), .int64(0), .int64(1), .int64(100)]])
        let reader = try store.reader(features: [FeatureReference(view: "v", feature: "x")])
        #expect(try reader.read(key: 1).int64(at: 0) == 100)
        let view = try store.registry.view("v")
        let loaded = try #require(store.cache.contents.snapshot(of: view))

        // A write in this process: the write path refreshes after its commit.
        try store.testInsertRun(id: 2, view: "v", committedAt: 2)
        try store.testInsertRows(view: "v", [[.int64(1), .int64(20), .int64(0), .int64(2), .int64(200)]])
        try store.testWithSession { try store.refreshCache(session: $0) }
        #expect(try reader.read(key: 1).int64(at: 0) == 200)
        let merged = try #require(store.cache.contents.snapshot(of: view))
        #expect(merged !== loaded && merged.rowCount == 2)

        // Another process's commit: readers and online queries see it within
        // about 250 ms (a due check runs in the background), historical
        // queries at once.
        let other = try Connection(path: stores.directory.file("pit.db"))
        try other.execute("""
            BEGIN;
            INSERT INTO runs (id, view, version, source, content_sha256, rows, rejected, started_at, committed_at)
            VALUES (3, 'v', 1, 'other', '', 1, 0, 3, 3);
            INSERT INTO fv_v_v1 (id, event_timestamp, created_timestamp, __run_id, x) VALUES (2, 30, 0, 3, 300);
            COMMIT
            """)
        let entities = FeatureFrame(names: ["id"], columns: [try testColumn(.int64, [.int64(2)])])
        let deadline = Date().addingTimeInterval(5)
        var read: Int64?, online: FeatureValue = .null
        while read == nil || online == .null, Date() < deadline {
            read = try reader.read(key: 2).int64(at: 0)
            online = try store.onlineFeatures(entities: entities, features: [FeatureReference(view: "v", feature: "x")]).values[0].value(0)
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(read == 300 && online == .int64(300))
        try other.execute("""
            BEGIN;
            INSERT INTO runs (id, view, version, source, content_sha256, rows, rejected, started_at, committed_at)
            VALUES (4, 'v', 1, 'other', '', 1, 0, 4, 4);
            INSERT INTO fv_v_v1 (id, event_timestamp, created_timestamp, __run_id, x) VALUES (1, 40, 0, 4, 400);
            COMMIT
            """)
        let historical = try store.historicalFeatures(spine: try testSpine(keys: [1], times: [40]), features: [FeatureReference(view: "v", feature: "x")])
        #expect(testValues(historical["x"]!) == [.int64(400)])
        #expect(store.cache.contents.snapshot(of: view)?.rowCount == 4)

        // A dropped version's snapshot is not used for the version that follows it.
        let v2 = { (ttl: String) in try Definitions.parse(yaml: """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: v, entity: thing, ttl: \(ttl), features: [{name: x, type: int64}]}]
            """, file: "v2.yaml") }
        try store.apply(v2("5s"))
        try store.testInsertRun(id: 5, view: "v", version: 2, committedAt: 5)
        try store.testInsertRows(view: "v", version: 2, [[.int64(1), .int64(50), .int64(0), .int64(5), .int64(500)]])
        let spine = try testSpine(keys: [1], times: [50])
        #expect(testValues(try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "v:x")])["x"]!) == [.int64(500)])
        let first = try store.registry.view("v")
        #expect(store.cache.contents.snapshot(of: first) != nil)
        try store.drop(view: "v", version: 2)
        try store.apply(v2("7s"))
        let again = try store.registry.view("v")
        // Version numbers are never reused: the dropped 2 is followed by 3.
        #expect(again.version == 3 && again.createdAt != first.createdAt)
        #expect(testValues(try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "v:x")])["x"]!) == [.null])
        #expect(testValues(try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "v@1:x")])["x"]!) == [.int64(400)])
        #expect(store.cache.contents.snapshot(of: first) == nil)
    }

    @Test func readersRunWhileTheCacheIsRefreshed() throws {
        let stores = try PointInTimeStores(yaml: """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: v, entity: thing, ttl: 0, features: [{name: x, type: int64}]}]
            """)
        let store = stores.cached
        try store.testInsertRun(id: 1, view: "v", committedAt: 1)
        try store.testInsertRows(view: "v", (0..<100).map { [.int64($0), .int64(1), .int64(0), .int64(1), .int64(1)] })
        let reader = try store.reader(features: [FeatureReference(view: "v", feature: "x")])
        DispatchQueue.concurrentPerform(iterations: 3) { thread in
            do {
                if thread == 0 {
                    // Each run rewrites every key with a greater value, then refreshes the cache.
                    for run in Int64(2)...30 {
                        try store.testInsertRun(id: run, view: "v", committedAt: run)
                        try store.testInsertRows(view: "v", (0..<100).map { [.int64($0), .int64(run), .int64(0), .int64(run), .int64(run)] })
                        try store.testWithSession { try store.refreshCache(session: $0) }
                    }
                } else {
                    var last: Int64 = 0
                    for i in 0..<3000 {
                        let value = try #require(try reader.read(key: Int64(i % 100)).int64(at: 0))
                        #expect(value >= last)
                        last = value
                    }
                }
            } catch {
                Issue.record(error)
            }
        }
        #expect(try reader.read(key: 7).int64(at: 0) == 30)
    }

    @Test func aMergedDeltaEqualsAFreshLoad() throws {
        let stores = try PointInTimeStores(yaml: """
            entities: [{name: pair, join_keys: [{name: a, type: int64}, {name: b, type: string}]}]
            feature_views: [{name: v, entity: pair, ttl: 0, features: [{name: x, type: int64}, {name: s, type: string}, {name: on, type: bool}]}]
            """)
        let store = stores.cached
        var random = SplitMix64(seed: 42)
        func rows(run: Int64, keys: [Int], count: Int) -> [[FeatureValue]] {
            var seen = Set<[Int]>()
            return (0..<count).compactMap { _ in
                let key = keys.randomElement(using: &random)!, event = Int.random(in: 0..<50, using: &random)
                guard seen.insert([key, event]).inserted else { return nil }
                let null = Int.random(in: 0..<4, using: &random) == 0
                return [.int64(Int64(key / 3)), .string("k\(key % 3)"), .int64(Int64(event)), .int64(0), .int64(run),
                        null ? .null : .int64(Int64(key * 100 + event)), null ? .null : .string("r\(run)"), .bool(event.isMultiple(of: 2))]
            }
        }
        try store.testInsertRun(id: 1, view: "v", committedAt: 1)
        try store.testInsertRows(view: "v", rows(run: 1, keys: Array(0..<3000), count: 9000))
        let view = try store.registry.view("v")
        _ = try store.reader(features: [FeatureReference(view: "v", feature: nil)])
        // Deltas touching some old keys and adding new ones, around and between them.
        for run in Int64(2)...4 {
            try store.testInsertRun(id: run, view: "v", committedAt: run)
            try store.testInsertRows(view: "v", rows(run: run, keys: Array(stride(from: Int(run), to: 3600, by: 7)), count: 700))
            try store.testWithSession { try store.refreshCache(session: $0) }
        }
        let cached = try #require(store.cache.contents.snapshot(of: view))
        #expect(cached.deltas.count == 3, "small runs stay delta segments, one per refresh")
        #expect(cached.deltaRows > 0 && cached.base.rowCount > 0)
        let merged = cached.base.merging(ViewSnapshot.merged(cached.deltas).inMemory()).inMemory()
        let runs = store.cache.contents.runs
        let fresh = try #require(try store.testWithSession {
            try ViewSnapshot.load(view, from: $0, afterRun: nil, lastRun: runs.maxID, lastRunCommittedAt: runs.lastCommittedAt, byteLimit: .max)
        }).inMemory()
        // The same bytes, header and every array, as a fresh load of every row.
        #expect(merged.byteCount == fresh.byteCount)
        #expect(memcmp(merged.region.base, fresh.region.base, merged.byteCount) == 0)
        #expect(merged.rowCount == fresh.rowCount && merged.keys.count == fresh.keys.count)
    }

    @Test func bitmapsAppendWordRanges() {
        var random = SplitMix64(seed: 7)
        var source = Bitmap()
        for _ in 0..<1000 { source.append(Bool.random(using: &random)) }
        for _ in 0..<500 {
            var target = Bitmap(), expected: [Bool] = []
            for _ in 0..<Int.random(in: 0..<130, using: &random) {
                let bit = Bool.random(using: &random)
                target.append(bit)
                expected.append(bit)
            }
            let start = Int.random(in: 0...1000, using: &random), end = Int.random(in: start...1000, using: &random)
            source.words.withUnsafeBufferPointer { target.append(words: $0.baseAddress!, range: start..<end) }
            expected += (start..<end).map { source[$0] }
            #expect(target.count == expected.count && (0..<target.count).allSatisfy { target[$0] == expected[$0] })
        }
    }

    /// A batch read's validity from its status codes, a word at a time: the
    /// same bits as appending one per code, at every length around a word's.
    @Test func bitmapsMarkCodes() {
        var random = SplitMix64(seed: 11)
        for count in [0, 1, 63, 64, 65, 127, 128, 129, 300] {
            let codes = (0..<count).map { _ in UInt8(random.next() % 4) }
            var appended = Bitmap()
            for code in codes { appended.append(code == 0) }
            #expect(Bitmap(marking: codes, where: 0) == appended, "\(count) codes")
        }
    }

    /// What the C ABI hands to Arrow as a validity bitmap: bit i of the
    /// words is row i, least significant bit first, and the last word's
    /// bits past the count are clear (after a set bit was overwritten too).
    @Test func bitmapWordsAreArrowsValidityLayout() {
        var bits = Bitmap()
        let pattern = (0..<70).map { $0 % 3 == 0 || $0 == 69 }
        for bit in pattern { bits.append(bit) }
        bits[69] = false
        let bytes = bits.withUnsafeWords { Array(UnsafeRawBufferPointer($0)) }
        #expect(bytes.count == 16)
        for row in 0..<128 {
            let expected = row < 69 && pattern[row]
            #expect((bytes[row >> 3] >> UInt8(row & 7)) & 1 == (expected ? 1 : 0), "bit \(row)")
        }
    }

    @Test func aViewOverTheBudgetIsAnsweredFromSQLite() throws {
        let directory = TemporaryDirectory()
        let store = try FeatureStore(path: directory.file("budget.db"), options: .init(cacheBytes: 4096))
        try store.apply(Definitions.parse(yaml: """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views:
              - {name: small, entity: thing, ttl: 0, features: [{name: x, type: int64}]}
              - {name: big, entity: thing, ttl: 0, features: [{name: x, type: int64}]}
            """, file: "budget.yaml"))
        try store.testInsertRun(id: 1, view: "small", committedAt: 1)
        try store.testInsertRows(view: "small", [[.int64(1), .int64(10), .int64(0), .int64(1), .int64(1)]])
        try store.testInsertRun(id: 2, view: "big", committedAt: 1)
        try store.testInsertRows(view: "big", (0..<10_000).map { [.int64($0), .int64(10), .int64(0), .int64(2), .int64($0 * 3)] })
        let spine = try testSpine(keys: [1, 9999], times: [10, 10])
        let result = try store.historicalFeatures(spine: spine, features: [FeatureReference(parsing: "small:x"), FeatureReference(parsing: "big:x")], fullNames: true)
        #expect(testValues(result["small__x"]!) == [.int64(1), .null])
        #expect(testValues(result["big__x"]!) == [.int64(3), .int64(29_997)])
        let contents = store.cache.contents
        #expect(contents.snapshot(of: try store.registry.view("small")) != nil)
        #expect(contents.snapshot(of: try store.registry.view("big")) == nil)
        #expect(contents.refused[try store.registry.view("big").id] != nil)
        #expect(contents.snapshots.values.reduce(0) { $0 + $1.byteCount } <= 4096)
        let reader = try store.reader(features: [FeatureReference(parsing: "big:x")])
        #expect(try reader.read(key: 42).int64(at: 0) == 126)
        #expect(FeatureCache.defaultBudget > 0)
    }

    // MARK: SQL

    @Test func theSQLWalksThePrimaryKeyWithoutSorting() throws {
        let stores = try PointInTimeStores(yaml: """
            entities: [{name: pair, join_keys: [{name: a, type: int64}, {name: b, type: string}]}]
            feature_views: [{name: v, entity: pair, ttl: 1d, features: [{name: x, type: int64}]}]
            """)
        let view = try stores.cached.registry.view("v")
        let rule = SQLiteRule(view: view)
        let scan = "SELECT a, b, event_timestamp, created_timestamp, __run_id, x FROM fv_v_v1 WHERE __run_id > 1 ORDER BY a, b, event_timestamp, created_timestamp, __run_id"
        try stores.cached.testWithDB { db in
            func plan(_ sql: String) throws -> String {
                let s = try db.statement("EXPLAIN QUERY PLAN " + sql)
                defer { s.reset() }
                var lines: [String] = []
                while try s.step() { lines.append(s.text(3)) }
                return lines.joined(separator: "\n")
            }
            let match = try plan(rule.matchSQL)
            #expect(match.contains("SEARCH t USING PRIMARY KEY (a=? AND b=? AND event_timestamp>? AND event_timestamp<?)"), "\(match)")
            #expect(!match.contains("TEMP B-TREE"), "\(match)")
            #expect(!(try plan(rule.existsSQL)).contains("TEMP B-TREE"))
            #expect(!(try plan(rule.keysSQL)).contains("TEMP B-TREE"))
            #expect(!(try plan(scan)).contains("TEMP B-TREE"))
        }
    }
}

/// A large spine over base and delta, every feature type, nulls and a TTL:
/// the cache answers as SQLite does.
@Suite struct LargeSpineTests {
    @Test(arguments: TestEngine.all)
    func largeSpinesOverBaseAndDeltaAnswerAsSQLite(engine: TestEngine) throws {
        let stores = try PointInTimeStores(engine: engine, yaml: """
            entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: v, entity: thing, ttl: 50s, features: [{name: x, type: int64}, {name: s, type: string},
                             {name: f, type: float64}, {name: on, type: bool}, {name: e, type: "vector<float32, 3>"}]}]
            """)
        var random = SplitMix64(seed: 99)
        func rows(run: Int64, count: Int) -> [[FeatureValue]] {
            var seen = Set<[Int64]>()
            return (0..<count).compactMap { _ in
                let key = Int64.random(in: 0..<3_000, using: &random), event = Int64.random(in: 0..<400, using: &random)
                guard seen.insert([key, event]).inserted else { return nil }
                let null = Int.random(in: 0..<5, using: &random) == 0
                return [.int64(key), .int64(event * 1_000_000), .int64(0), .int64(run), null ? .null : .int64(key * 1000 + event),
                        null ? .null : .string("\(key)-\(event)" + String(repeating: "é", count: Int(event % 11))), .float64(Double(event) / 4),
                        .bool(event % 3 == 0), null ? .null : .vector([Float(key), Float(event), 1])]
            }
        }
        try stores.cached.testInsertRun(id: 1, view: "v", committedAt: 1)
        try stores.cached.testInsertRows(view: "v", rows(run: 1, count: 20_000))
        // More rows than ``Parallel`` gives one thread: the join is split over the cores.
        let spineKeys = (0..<(2 * Parallel.minimumChunk + 5_000)).map { _ in Int64.random(in: -5..<3_100, using: &random) }
        let spineTimes = spineKeys.map { _ in Int64.random(in: -10..<450, using: &random) * 1_000_000 }
        let spine = try testSpine(keys: spineKeys, times: spineTimes)
        let features = [FeatureReference(view: "v", feature: nil)]
        for phase in 0..<2 {
            if phase == 1 {
                // A delta over the base: winners from both.
                try stores.cached.testInsertRun(id: 2, view: "v", committedAt: 2)
                try stores.cached.testInsertRows(view: "v", rows(run: 2, count: 3_000))
            }
            let expected = try stores.uncached.historicalFeatures(spine: spine, features: features)
            let got = try stores.cached.historicalFeatures(spine: spine, features: features)
            for name in ["x", "s", "f", "on", "e"] {
                #expect(testValues(got[name]!) == testValues(expected[name]!), "phase \(phase): \(name)")
            }
            let small = try testSpine(keys: Array(spineKeys.prefix(1_000)), times: Array(spineTimes.prefix(1_000)))
            let inRowOrder = try stores.cached.historicalFeatures(spine: small, features: features)
            #expect(testValues(inRowOrder["s"]!) == Array(testValues(got["s"]!).prefix(1_000)))
        }
        #expect(stores.cached.cache.contents.snapshots.values.first?.deltas.isEmpty == false)
    }
}
