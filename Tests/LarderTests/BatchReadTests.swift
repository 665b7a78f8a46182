import Foundation
import Testing
@testable import Larder

/// A prepared reader's batch read (`read(keys:)`, `read(entities:)`, and the
/// C ABI's `larder_reader_get_many_*` over the same code) answers as one
/// single read per key: the same values, statuses and event times, for keys
/// present, missing, expired by the TTL, answered from the base snapshot, its
/// delta or both, by a future row (not the key's latest record), of every type.
@Suite struct BatchReadTests {
    let dir = TemporaryDirectory()
    static let yaml = """
        entities:
          - {name: thing, join_keys: [{name: id, type: int64}]}
          - {name: place, join_keys: [{name: code, type: string}]}
        feature_views:
          - name: typed
            entity: thing
            ttl: 1h
            features:
              - {name: i, type: int64}
              - {name: f, type: float64}
              - {name: b, type: bool}
              - {name: s, type: string}
              - {name: raw, type: bytes}
              - {name: t, type: timestamp}
              - {name: e, type: "vector<float32, 3>"}
          - name: other
            entity: thing
            ttl: 0
            features: [{name: n, type: int64}]
          - name: named
            entity: place
            ttl: 0
            features: [{name: label, type: string}, {name: rank, type: int64}]
        """
    static let minute: Int64 = 60_000_000
    let now = Timestamp.nowMicroseconds()

    /// A row of `typed` for key `k` at `time`; `salt` changes every value.
    func typedRow(_ k: Int64, at time: Int64, salt: Int64 = 0) -> [String: FeatureValue] {
        let v = k + salt
        return [
            "id": .int64(k), "event_timestamp": .timestamp(Timestamp(microseconds: time)),
            "i": v % 4 == 1 ? .null : .int64(v * 1_000_003 - 7),
            "f": .float64(Double(v) / 3),
            "b": v % 5 == 2 ? .null : .bool(v % 2 == 0),
            "s": v % 3 == 0 ? .string("é\(v)") : v % 3 == 1 ? .string("a longer string, Zürich→東京 \(v)") : .null,
            "raw": .bytes((0..<(v % 23)).map { UInt8(truncatingIfNeeded: $0 &* v) }),
            "t": .timestamp(Timestamp(microseconds: time - v)),
            "e": v % 6 == 2 ? .null : .vector([Float(v), -0.5, Float(v) / 7]),
        ]
    }

    /// A store with three runs of `typed` and one of `other`: keys 0..<200
    /// (multiples of 7 missing; every fifth two hours old, outside the TTL;
    /// some with a row an hour in the future), then a reader made (the base
    /// snapshot), then runs of keys 150..<260 (newer and older rows than the
    /// base's) and of a few keys twice: two delta segments.
    func store(cacheBytes: Int? = nil) throws -> (FeatureStore, FeatureReader) {
        let s = try FeatureStore(path: dir.file("s.db"), options: .init(cacheBytes: cacheBytes))
        try s.apply(try Definitions.parse(yaml: BatchReadTests.yaml, file: "defs.yaml"))
        var rows: [[String: FeatureValue]] = []
        for k in Int64(0)..<200 where k % 7 != 0 {
            rows.append(typedRow(k, at: now - (k % 5 == 0 ? 120 : k % 50 + 1) * BatchReadTests.minute))
            if k % 11 == 3 { rows.append(typedRow(k, at: now + 60 * BatchReadTests.minute, salt: 1)) }
        }
        try s.write(view: "typed", rows: rows)
        try s.write(view: "other", rows: (Int64(0)..<100).map { ["id": .int64($0 * 2), "event_timestamp": .timestamp(Timestamp(microseconds: now - BatchReadTests.minute)), "n": $0 % 9 == 0 ? .null : .int64($0)] })
        let reader = try s.reader(features: [FeatureReference(view: "typed", feature: nil), FeatureReference(view: "other", feature: "n")])
        _ = try reader.read(key: 1)
        try s.write(view: "typed", rows: (Int64(150)..<260).map { k in
            typedRow(k, at: now - (k % 2 == 0 ? 30 : 55) * BatchReadTests.minute, salt: 5)
        })
        try s.write(view: "typed", rows: [typedRow(3, at: now - 2 * BatchReadTests.minute, salt: 9), typedRow(240, at: now - 10, salt: 9)])
        return (s, reader)
    }

    /// The keys read: every kind of answer, in random order, with repeats.
    static func keys() -> [Int64] {
        var rng = SplitMix64(seed: 12)
        return (0..<400).map { _ in Int64(rng.next() % 300) - 20 } + [0, 3, 14, 240, .min, .max, 3]
    }

    /// Checks `result` against one single read per key.
    /// A null key (`nil`) matches nothing.
    func expectSingleReads(_ reader: FeatureReader, _ keys: [Int64?], _ result: OnlineResult, _ label: String) throws {
        #expect(result.entityCount == keys.count, "\(label)")
        #expect(result.featureNames == reader.featureNames, "\(label)")
        for (i, key) in keys.enumerated() {
            guard let key else {
                for f in result.values.indices {
                    #expect(result.statuses[f][i] == .notFound && result.eventTimestamps[f][i] == nil && !result.values[f].isValid(i))
                }
                continue
            }
            let row = try reader.read(key: key)
            for f in 0..<row.count {
                #expect(result.statuses[f][i] == row.status(at: f), "\(label): key \(key), \(row.featureNames[f])")
                #expect(result.eventTimestamps[f][i] == row.eventTimestamp(at: f), "\(label): key \(key), \(row.featureNames[f])")
                #expect(result.values[f].value(i) == row.value(at: f), "\(label): key \(key), \(row.featureNames[f])")
            }
        }
    }

    @Test(arguments: [nil, 0]) func aBatchReadIsSingleReads(cacheBytes: Int?) throws {
        let (s, reader) = try store(cacheBytes: cacheBytes)
        let keys = BatchReadTests.keys()
        let result = try reader.read(keys: keys)
        try expectSingleReads(reader, keys, result, "cacheBytes \(String(describing: cacheBytes))")
        #expect(Set(result.statuses[0]) == Set(FeatureStatus.allCases), "every status: \(Set(result.statuses[0]))")
        #expect(Set(result.statuses[7]).isSuperset(of: [.present, .nullValue, .notFound]))
        if cacheBytes == nil {
            let view = try s.registry.view("typed")
            #expect((s.cache.contents.snapshot(of: view)?.deltas.count ?? 0) == 2, "some answers come from each of two delta segments")
        }
        var column = Column(type: .int64)
        for key in keys { column.append(key) }
        column.appendNull()
        let entities = try reader.read(entities: FeatureFrame(names: ["id"], columns: [column]))
        try expectSingleReads(reader, keys + [nil], entities, "entities")
        #expect(try reader.read(keys: [Int64]()).entityCount == 0)
    }

    @Test func anotherProcessReadsTheSnapshotFileAndItsDelta() throws {
        let (s, _) = try store()
        let keys = BatchReadTests.keys()
        let other = try FeatureStore(path: dir.file("s.db"))
        let reader = try other.reader(features: [FeatureReference(view: "typed", feature: nil), FeatureReference(view: "other", feature: "n")])
        try expectSingleReads(reader, keys, try reader.read(keys: keys), "second store")
        withExtendedLifetime(s) {}
    }

    @Test func stringKeys() throws {
        let (s, _) = try store()
        let codes = ["zrh", "", "Zürich→東京", String(repeating: "x", count: 300)]
        try s.write(view: "named", rows: codes.enumerated().map { i, code in
            ["code": .string(code), "event_timestamp": .timestamp(Timestamp(microseconds: now - BatchReadTests.minute)),
             "label": i == 1 ? .null : .string(String(repeating: "ü", count: i * 20)), "rank": .int64(Int64(i))]
        })
        let reader = try s.reader(features: [FeatureReference(view: "named", feature: nil)])
        let keys = codes + ["nowhere", "ZRH", "zrh"]
        let result = try reader.read(keys: keys)
        for (i, key) in keys.enumerated() {
            let row = try reader.read(key: key)
            for f in 0..<2 {
                #expect(result.statuses[f][i] == row.status(at: f) && result.values[f].value(i) == row.value(at: f), "\(key)")
                #expect(result.eventTimestamps[f][i] == row.eventTimestamp(at: f), "\(key)")
            }
        }
        #expect(result.statuses[0] == [.present, .nullValue, .present, .present, .notFound, .notFound, .present])
        #expect(throws: LarderError.self) { try reader.read(keys: [Int64(1)]) }
        #expect(throws: LarderError.self) {
            try s.reader(features: [FeatureReference(view: "typed", feature: "i")]).read(keys: ["1"])
        }
    }
}
