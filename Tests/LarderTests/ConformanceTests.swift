import Foundation
import Testing
@testable import Larder

// The point-in-time conformance suite (semantics §3) as data: every
// `Conformance/*.json` file is run against both the cached path and the
// SQLite path. Another implementation of the rule can run the same files.
//
// Format of a file:
//
//     {
//       "about": "free text",
//       "cases": [
//         {
//           "name": "what the case shows",
//           "ttl": 10,                   // the view's TTL in µs; 0 = no TTL
//           "key_type": "int64",         // optional: "int64" (default) or "string"
//           "value_type": "int64",       // optional: "int64" (default), "float64", "string" or "bool"
//           "rows": [                    // the view's rows, in any order
//             {"key": 1, "event": 100, "created": 100, "run": 1, "committed_at": 1000, "value": 1}
//           ],
//           "spine": [                   // queries, each with its expected answer
//             {"key": 1, "at": 110, "as_of": 1500, "value": 1, "status": "PRESENT"}
//           ]
//         }
//       ]
//     }
//
// - A row is `(key, event_timestamp, created_timestamp, run id)` with one
//   feature, `value` (JSON `null` for a null). Times are integers, µs.
//   Every row of a run carries the same `committed_at` (the run's commit
//   time); run ids of a case are positive, below 1000, and increase with
//   `committed_at` as real run ids do.
// - A spine entry asks for `key` at `T = at`, seen from the horizon `as_of`
//   (omitted: now, so every run is seen). It expects `value` (JSON `null`
//   when there is none) and `status`: `PRESENT` (the winning row holds a
//   value), `NULL_VALUE` (it holds null), `NOT_FOUND` (the key has no row
//   from a run committed by `as_of`), `OUTSIDE_MAX_AGE` (it has such rows,
//   but none with `at - ttl <= event <= at`, or `event <= at` when ttl is 0).

/// A JSON scalar of a conformance file.
enum ConformanceScalar: Decodable, Sendable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Int64.self) { self = .int(value) }
        else if let value = try? container.decode(Double.self) { self = .double(value) }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else { self = .string(try container.decode(String.self)) }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .bool(let v): String(v)
        case .string(let v): "\"\(v)\""
        }
    }

    /// The value as a feature value of `type`.
    func featureValue(_ type: FeatureType) throws -> FeatureValue {
        switch (self, type) {
        case (.null, _): return .null
        case (.int(let v), .int64): return .int64(v)
        case (.int(let v), .float64): return .float64(Double(v))
        case (.double(let v), .float64): return .float64(v)
        case (.bool(let v), .bool): return .bool(v)
        case (.string(let v), .string): return .string(v)
        default: throw ConformanceError("\(self) is not a \(type)")
        }
    }
}

struct ConformanceError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct ConformanceFile: Decodable, Sendable {
    struct Row: Decodable, Sendable {
        let key: ConformanceScalar
        let event: Int64
        let created: Int64
        let run: Int64
        let committed_at: Int64
        let value: ConformanceScalar
    }

    struct Query: Decodable, Sendable {
        let key: ConformanceScalar
        let at: Int64
        let as_of: Int64?
        let value: ConformanceScalar
        let status: String
    }

    struct Case: Decodable, Sendable {
        let name: String
        let ttl: Int64
        let key_type: String?
        let value_type: String?
        let rows: [Row]
        let spine: [Query]
    }

    let about: String?
    let cases: [Case]
}

@Suite struct ConformanceTests {
    /// Every conformance file in the test bundle.
    static let files: [URL] = {
        let directory = Bundle.module.resourceURL!.appendingPathComponent("Conformance")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.appendingPathComponent($0) }
    }()

    @Test func theSuiteIsThere() {
        #expect(Self.files.map(\.lastPathComponent) == ["as_of.json", "misses.json", "ties.json", "ttl.json", "types.json"])
    }

    @Test(arguments: files)
    func conformance(file: URL) throws {
        let suite = try JSONDecoder().decode(ConformanceFile.self, from: Data(contentsOf: file))
        let stores = try PointInTimeStores()
        var definitions = Definitions(file: file.lastPathComponent)
        definitions.entities = [
            Entity(name: "int_entity", joinKeys: [JoinKey(name: "k", type: .int64)]),
            Entity(name: "string_entity", joinKeys: [JoinKey(name: "k", type: .string)]),
        ]
        var types: [(key: KeyType, value: FeatureType)] = []
        for (i, c) in suite.cases.enumerated() {
            let keyType = KeyType(rawValue: c.key_type ?? "int64")!
            let valueType = FeatureType(parsing: c.value_type ?? "int64")!
            types.append((keyType, valueType))
            definitions.featureViews.append(FeatureViewDefinition(
                name: "case_\(i)", entity: keyType == .int64 ? "int_entity" : "string_entity", ttl: c.ttl,
                features: [FeatureDefinition(name: "value", type: valueType)]))
        }
        try stores.cached.apply(definitions)

        // Runs: case-local ids made global, keeping their order.
        for (i, c) in suite.cases.enumerated() {
            var commits: [Int64: Int64] = [:]
            for row in c.rows {
                #expect(row.run > 0 && row.run < 1000, "\(c.name): run ids are 1…999")
                if let known = commits.updateValue(row.committed_at, forKey: row.run) {
                    #expect(known == row.committed_at, "\(c.name): run \(row.run) has two commit times")
                }
            }
            for (run, committedAt) in commits.sorted(by: { $0.key < $1.key }) {
                try stores.cached.testInsertRun(id: Int64(i) * 1000 + run, view: "case_\(i)", committedAt: committedAt)
            }
            let keyType = types[i].key.featureType
            try stores.cached.testInsertRows(view: "case_\(i)", try c.rows.map { row in
                [try row.key.featureValue(keyType), .int64(row.event), .int64(row.created), .int64(Int64(i) * 1000 + row.run),
                 try row.value.featureValue(types[i].value)]
            })
        }

        for (i, c) in suite.cases.enumerated() {
            let plan = try RetrievalPlan(stores.cached.registry.resolve([FeatureReference(view: "case_\(i)", feature: "value")]), fullNames: false)
            let now = Timestamp.nowMicroseconds()
            let horizons = Set(c.spine.map { $0.as_of ?? now })
            for asOf in horizons.sorted() {
                let queries = c.spine.filter { ($0.as_of ?? now) == asOf }
                let spine = FeatureFrame(names: ["k", "event_timestamp"], columns: [
                    try testColumn(types[i].key.featureType, queries.map { try $0.key.featureValue(types[i].key.featureType) }),
                    try testColumn(.timestamp, queries.map { .timestamp(Timestamp(microseconds: $0.at)) }),
                ])
                for (path, store) in try stores.paths() {
                    let (frame, statuses) = try store.historical(spine: spine, plan: plan, asOf: asOf, statuses: true)
                    for (q, query) in queries.enumerated() {
                        let where_ = "\(file.lastPathComponent) / \(c.name) / key \(query.key) at \(query.at)"
                            + (query.as_of.map { " as of \($0)" } ?? "") + " [\(path)]"
                        #expect(frame.columns[2].value(q) == (try query.value.featureValue(types[i].value)), "\(where_): value")
                        #expect(statuses[0][q].rawValue == query.status, "\(where_): status")
                    }
                }
            }
        }
        // The cached store really answered from memory.
        #expect(stores.cached.cache.contents.snapshots.count == suite.cases.count)
        #expect(stores.uncached.cache.contents.snapshots.isEmpty)
    }
}
