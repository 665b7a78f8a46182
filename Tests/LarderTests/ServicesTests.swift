import Foundation
import Testing
@testable import Larder

/// The behaviours every client (CLI, server, Python) reaches through the
/// library: entity rows, the online answer's JSON, the registry as JSON,
/// view references and error categories.
@Suite struct ServicesTests {
    let dir = TemporaryDirectory()
    let keys = [JoinKey(name: "driver_id", type: .int64), JoinKey(name: "city", type: .string)]

    func store() throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file("s.db"))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        try s.write(view: "driver_stats", rows: [
            ["driver_id": .int64(1), "event_timestamp": .timestamp(Timestamp(microseconds: Timestamp.nowMicroseconds() - 1_000_000)), "conv_rate": .float64(0.5),
             "acc_rate": .null, "avg_daily_trips": .int64(3), "city": .string("oslo")],
        ])
        return s
    }

    /// The message of the error `body` throws, checked to be of `category`.
    func failure(_ category: LarderError.Category, sourceLocation: SourceLocation = #_sourceLocation,
                 _ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("no error", sourceLocation: sourceLocation)
        } catch let error as LarderError {
            #expect(error.category == category, "\(error)", sourceLocation: sourceLocation)
            return error.message
        } catch {
            Issue.record("not a LarderError: \(error)", sourceLocation: sourceLocation)
        }
        return ""
    }

    @Test func entityRowsFromStrings() throws {
        let frame = try EntityRows.parse(["driver_id=1001,city=oslo", "city=paris,driver_id=7"], joinKeys: keys)
        #expect(frame.names == ["driver_id", "city"])
        #expect(frame.columns[0].ints == [1001, 7])
        #expect((0..<2).map { frame.columns[1].value($0).text } == ["oslo", "paris"])
        #expect(failure(.invalidInput) { _ = try EntityRows.parse(["driver_id=1"], joinKeys: keys) }.contains("lacks join key city"))
        #expect(failure(.invalidInput) { _ = try EntityRows.parse(["driver_id=x,city=a"], joinKeys: keys) }.contains("\"x\" is not an int64"))
        #expect(failure(.invalidInput) { _ = try EntityRows.parse(["driver_id=1,city=a,zone=3"], joinKeys: keys) }.contains("zone is not a join key"))
        #expect(failure(.invalidInput) { _ = try EntityRows.parse(["driver_id"], joinKeys: keys) }.contains("expected KEY=VALUE"))
    }

    @Test func entityRowsFromJSON() throws {
        let frame = try EntityRows.parse(json: Array(#"{"driver_id": [1001, 7], "city": ["oslo", "paris"]}"#.utf8), joinKeys: keys)
        #expect(frame.columns[0].ints == [1001, 7])
        let refused: [(String, String)] = [
            (#"{"driver_id": [true], "city": ["a"]}"#, "driver_id[0]"),
            (#"{"driver_id": [1.5], "city": ["a"]}"#, "driver_id[0]"),
            (#"{"driver_id": ["1"], "city": ["a"]}"#, "driver_id[0] is the string \"1\", not an int64"),
            (#"{"driver_id": [1], "city": [2]}"#, "city[0] is 2, not a string"),
            (#"{"driver_id": [1, 2], "city": ["a"]}"#, "city has 1 values, not 2"),
            (#"{"driver_id": [1], "city": ["a"], "zone": [1]}"#, "zone is not a join key"),
            (#"{"driver_id": [1]}"#, "no array for join key city"),
            (#"[1, 2]"#, "expected a JSON object"),
            (#"{"driver_id": [1], "#, "expected a JSON object"),
        ]
        for (json, message) in refused {
            let text = failure(.invalidInput) { _ = try EntityRows.parse(json: Array(json.utf8), joinKeys: keys) }
            #expect(text.contains(message), "\(json): \(text)")
        }
    }

    @Test func onlineAnswerHasTheShapeOfTheHTTPAPI() throws {
        let s = try store()
        let entities = try EntityRows.parse(["driver_id=1", "driver_id=2"], joinKeys: [keys[0]])
        let result = try s.onlineFeatures(entities: entities, features: FeatureReference.parseList("driver_stats:conv_rate,driver_stats:acc_rate"))
        let json = try JSONSerialization.jsonObject(with: Data(result.json(entities: entities).utf8)) as? [String: Any]
        #expect((json?["metadata"] as? [String: Any])?["feature_names"] as? [String] == ["driver_id", "conv_rate", "acc_rate"])
        let results = json?["results"] as? [[String: Any]]
        #expect(results?.count == 3)
        #expect(results?[0]["values"] as? [Int] == [1, 2])
        let values = results?[1]["values"] as? [Any]
        #expect(values?.first as? Double == 0.5 && values?.last is NSNull, "\(String(describing: values))")
        #expect(results?[1]["statuses"] as? [String] == ["PRESENT", "NOT_FOUND"])
        #expect(results?[2]["statuses"] as? [String] == ["NULL_VALUE", "NOT_FOUND"])
    }

    @Test func registryAndRunsAsJSON() throws {
        let s = try store()
        let registry = try s.registry
        let catalog = try JSONSerialization.jsonObject(with: Data(registry.catalogJSON().utf8)) as? [[String: Any]]
        #expect(catalog?.map { $0["kind"] as? String } == ["entity", "feature_view", "feature_set"])
        #expect(catalog?[1]["name"] as? String == "driver_stats" && catalog?[1]["version"] as? Int == 1 && catalog?[1]["features"] as? Int == 4)
        let versions = try JSONSerialization.jsonObject(with: Data(registry.versionsJSON(of: "driver_stats").utf8)) as? [[String: Any]]
        #expect(versions?.first?["features"] as? [String] == ["conv_rate:float64", "acc_rate:float64", "avg_daily_trips:int64", "city:string"])
        for key in ["version", "created_at", "ttl", "entity"] { #expect(versions?.first?[key] != nil, "\(key)") }
        let runs = try JSONSerialization.jsonObject(with: Data(try s.runs(view: "driver_stats").json().utf8)) as? [[String: Any]]
        #expect(runs?.first?["rows"] as? Int == 1 && runs?.first?["source"] as? String == "write")
        let described = try JSONSerialization.jsonObject(with: Data(registry.view("driver_stats").json().utf8)) as? [String: Any]
        #expect((described?["features"] as? [[String: Any]])?.first?["expect"] as? String == "{min: 0.0, max: 1.0}")
        #expect(failure(.notFound) { _ = try registry.versionsJSON(of: "nope") }.contains("no feature view named \"nope\""))
    }

    @Test func viewReferences() throws {
        #expect(try ViewReference(parsing: "driver_stats") == ViewReference(name: "driver_stats"))
        #expect(try ViewReference(parsing: "driver_stats@3") == ViewReference(name: "driver_stats", version: 3))
        for bad in ["", "@2", "v@0", "v@x", "v@1@2"] {
            _ = failure(.invalidInput) { _ = try ViewReference(parsing: bad) }
        }
    }

    @Test func eachFailureClassHasItsCategory() throws {
        let s = try store()
        _ = failure(.invalidInput) { _ = try FeatureReference.parseList("driver_stats") }
        _ = failure(.invalidInput) { try s.apply(try Definitions.parse(yaml: "entities: [", file: "bad.yaml")) }
        _ = failure(.notFound) { _ = try s.registry.view("nope") }
        _ = failure(.notFound) { _ = try s.registry.featureSet("nope") }
        _ = failure(.conflict) { try s.drop(view: "driver_stats", version: 1) }
        _ = failure(.conflict) { try s.export(view: "driver_stats", format: .csv, to: .file(s.path)) }
        _ = failure(.storage) { _ = try FeatureStore(path: dir.file("missing.db"), options: .init(create: false)) }
        _ = failure(.io) { _ = try s.backfill(view: "driver_stats", input: .file(dir.file("missing.csv"))) }
        let validation = failure(.invalidInput) {
            _ = try s.write(view: "driver_stats", rows: [["driver_id": .int64(9), "event_timestamp": .timestamp(1), "conv_rate": .float64(2),
                                                          "acc_rate": .null, "avg_daily_trips": .int64(1), "city": .null]])
        }
        #expect(validation.hasPrefix("input rejected: 1 problem"))
    }
}

/// Training-set manifests: every field is sealed by the manifest's checksum.
@Suite struct ManifestTests {
    static let manifest = TrainingSetManifest(
        createdAt: "2026-12-01T10:00:00.000000Z", features: ["driver_stats@1:conv_rate"], fullNames: false,
        asOf: "2026-12-01T09:00:00.000000Z", spine: "spine.csv", spineSHA256: String(repeating: "a", count: 64), at: nil,
        columns: ["driver_id", "event_timestamp", "conv_rate"], rows: 2, resultSHA256: String(repeating: "b", count: 64))

    /// The manifest as written, decoded again.
    static func written(_ manifest: TrainingSetManifest) throws -> TrainingSetManifest {
        try JSONDecoder().decode(TrainingSetManifest.self, from: Data(try manifest.json().utf8))
    }

    @Test func aWrittenManifestValidates() throws {
        let read = try Self.written(Self.manifest)
        #expect(read.manifestSHA256?.count == 64)
        let valid = try read.validated(path: "m.json")
        #expect(valid.features == [FeatureReference(view: "driver_stats", version: 1, feature: "conv_rate")])
        #expect(valid.at == nil)
    }

    @Test func tamperingWithAnyFieldIsDetected() throws {
        let edits: [(String, (inout TrainingSetManifest) -> Void)] = [
            ("created_at", { $0.createdAt = "2026-12-01T10:00:01.000000Z" }),
            ("features", { $0.features = ["driver_stats@2:conv_rate"] }),
            ("full_names", { $0.fullNames = true }),
            ("as_of", { $0.asOf = "2026-12-01T09:00:01.000000Z" }),
            ("spine", { $0.spine = "other.csv" }),
            ("spine_sha256", { $0.spineSHA256 = String(repeating: "c", count: 64) }),
            ("columns", { $0.columns = ["driver_id", "event_timestamp", "rate"] }),
            ("rows", { $0.rows = 3 }),
            ("result_sha256", { $0.resultSHA256 = String(repeating: "d", count: 64) }),
        ]
        for (field, edit) in edits {
            var tampered = try Self.written(Self.manifest)
            edit(&tampered)
            #expect(throws: LarderError.self, "\(field)") { _ = try tampered.validated(path: "m.json") }
            do { _ = try tampered.validated(path: "m.json") } catch {
                #expect(error.category == .invalidInput && error.message.contains("m.json: manifest_sha256: the manifest was edited"), "\(field): \(error)")
            }
        }
    }
}
