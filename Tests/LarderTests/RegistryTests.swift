import Foundation
import Testing
@testable import Larder

/// The registry on both engines (``TestEngine``); the SQLite-only checks
/// (its catalog, its column limit) say so.
@Suite struct RegistryTests {
    let dir = TemporaryDirectory()

    func store(_ engine: TestEngine) throws -> FeatureStore { try engine.open(try engine.newStore(in: dir, file: "r.db")) }

    func definitions(_ yaml: String) throws -> Definitions { try Definitions.parse(yaml: yaml, file: "defs.yaml") }

    func actions(_ plan: ApplyPlan) -> [String: ApplyPlan.Action] {
        Dictionary(uniqueKeysWithValues: plan.steps.map { ("\($0.kind) \($0.name)", $0.action) })
    }

    @Test(arguments: TestEngine.all)
    func applyCreatesThenIsUnchanged(engine: TestEngine) throws {
        let s = try store(engine)
        let first = try s.apply(try definitions(exampleDefinitions))
        #expect(actions(first) == ["entity driver": .create, "feature view driver_stats": .create, "feature set driver_ranking": .create])
        #expect(try s.testTables().contains("fv_driver_stats_v1"))
        let changes = engine == .sqlite ? "SELECT total_changes()" : "SELECT changes FROM larder_store"
        let before = try s.testTables().count + Int(s.testInt(changes))
        let second = try s.apply(try definitions(exampleDefinitions))
        #expect(second.steps.allSatisfy { $0.action == .unchanged })
        #expect(try s.testTables().count + Int(s.testInt(changes)) == before)
        let view = try s.registry.view("driver_stats")
        #expect(view.version == 1)
        #expect(view.features.map(\.name) == ["conv_rate", "acc_rate", "avg_daily_trips", "city"])
        #expect(view.features[0].expectations.min == 0 && view.features[0].expectations.max == 1)
        #expect(view.features[2].expectations.notNull)
        #expect(view.ttl == 7 * 86_400 * 1_000_000)
        let set = try s.registry.featureSet("driver_ranking")
        #expect(set.features.map(\.description) == ["driver_stats@1:conv_rate", "driver_stats@1:avg_daily_trips"])
    }

    @Test(arguments: TestEngine.all)
    func metadataChangeUpdatesInPlace(engine: TestEngine) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        let changed = exampleDefinitions
            .replacingOccurrences(of: "Hourly driver quality stats", with: "Driver stats, hourly")
            .replacingOccurrences(of: "{name: acc_rate, type: float64}", with: "{name: acc_rate, type: float64, expect: {min: 0}}")
        let plan = try s.apply(try definitions(changed))
        #expect(actions(plan)["feature view driver_stats"] == .updateMetadata)
        let view = try s.registry.view("driver_stats")
        #expect(view.version == 1)
        #expect(view.definition.description == "Driver stats, hourly")
        #expect(view.features[1].expectations.min == 0)
        #expect(try s.testTables().filter { $0.hasPrefix("fv_") } == ["fv_driver_stats_v1"])
    }

    @Test(arguments: [
        ("added feature", "{name: city, type: string}", "{name: city, type: string}\n      - {name: rating, type: float64}"),
        ("type change", "{name: city, type: string}", "{name: city, type: bytes}"),
        ("ttl change", "ttl: 7d", "ttl: 1d"),
        ("removed feature", "      - {name: acc_rate, type: float64}\n", ""),
    ])
    func schemaChangeMakesNewVersion(_ label: String, _ from: String, _ to: String) throws {
        for engine in TestEngine.all { try schemaChangeMakesNewVersion(engine, label, from, to) }
    }

    func schemaChangeMakesNewVersion(_ engine: TestEngine, _ label: String, _ from: String, _ to: String) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        let plan = try s.apply(try definitions(exampleDefinitions.replacingOccurrences(of: from, with: to)))
        #expect(actions(plan)["feature view driver_stats"] == .newVersion(2), "\(label)")
        #expect(try s.registry.views["driver_stats"]?.map(\.version) == [1, 2])
        #expect(try s.testTables().filter { $0.hasPrefix("fv_") } == ["fv_driver_stats_v1", "fv_driver_stats_v2"])
        // The old version stays readable.
        #expect(try s.registry.view("driver_stats", version: 1).features.count == 4)
    }

    @Test(arguments: [
        ("[{name: driver_id, type: string}]", "driver_id int64 → string"),
        ("[{name: driver_key, type: int64}]", "driver_id int64 → driver_key int64"),
        ("[{name: driver_id, type: int64}, {name: city_id, type: string}]", "driver_id int64 → driver_id int64, city_id string"),
    ])
    func joinKeyChangeIsASchemaChange(_ keys: String, _ change: String) throws {
        for engine in TestEngine.all { try joinKeyChangeIsASchemaChange(engine, keys, change) }
    }

    func joinKeyChangeIsASchemaChange(_ engine: TestEngine, _ keys: String, _ change: String) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        let yaml = exampleDefinitions.replacingOccurrences(of: "join_keys: [{name: driver_id, type: int64}]", with: "join_keys: \(keys)")
        let plan = try s.apply(try definitions(yaml))
        #expect(actions(plan)["entity driver"] == .changeJoinKeys)
        #expect(actions(plan)["feature view driver_stats"] == .newVersion(2))
        #expect(plan.description.contains("entity driver: change join keys (\(change))"), "\(plan)")
        #expect(plan.description.contains("feature view driver_stats: new version 2 (join keys changed: \(change))"), "\(plan)")
        let entity = try #require(try s.registry.entities["driver"])
        #expect(try s.registry.view("driver_stats").joinKeys == entity.joinKeys)
        #expect(try s.registry.view("driver_stats", version: 1).joinKeys == [JoinKey(name: "driver_id", type: .int64)])
        // The new table is keyed the new way.
        for key in entity.joinKeys {
            let sql = switch engine {
            case .sqlite:
                "SELECT COUNT(*) FROM pragma_table_info('fv_driver_stats_v2') WHERE name = '\(key.name)' AND type = '\(key.type == .int64 ? "INTEGER" : "TEXT")' AND pk > 0"
            case .postgres:
                "SELECT COUNT(*) FROM information_schema.key_column_usage k JOIN information_schema.columns c USING (table_name, column_name) "
                    + "WHERE k.table_name = 'fv_driver_stats_v2' AND k.column_name = '\(key.name)' AND c.data_type = '\(key.type == .int64 ? "bigint" : "text")'"
            }
            #expect(try s.testInt(sql) == 1)
        }
    }

    @Test(arguments: TestEngine.all)
    func joinKeyChangeRefusesToLeaveAViewOfTheEntityBehind(engine: TestEngine) throws {
        let s = try store(engine)
        let extra = exampleDefinitions.replacingOccurrences(of: "feature_sets:", with: """
              - name: driver_extra
                entity: driver
                features: [{name: rating, type: float64}]
            feature_sets:
            """)
        try s.apply(try definitions(extra))
        let tables = try s.testTables()
        // driver_extra is not in this file: its table would stay keyed by an int64.
        let yaml = exampleDefinitions.replacingOccurrences(of: "join_keys: [{name: driver_id, type: int64}]", with: "join_keys: [{name: driver_id, type: string}]")
        #expect {
            try s.apply(try definitions(yaml))
        } throws: { error in
            guard let error = error as? LarderError, error.path == "defs.yaml", error.line == 3,
                  error.message.hasPrefix("defs.yaml:3: entities[0].join_keys: ") else { return false }
            let message = error.message
            return error.category == .invalidInput && message.contains("entity \"driver\"") && message.contains("driver_id int64 → string")
                && message.contains("feature view \"driver_extra\" (driver_extra@1) is not in this file")
        }
        #expect(try s.testTables() == tables)
        #expect(try s.registry.entities["driver"]?.joinKeys == [JoinKey(name: "driver_id", type: .int64)])
        // With the view in the file, both views get a new version.
        let both = try s.apply(try definitions(extra.replacingOccurrences(of: "join_keys: [{name: driver_id, type: int64}]", with: "join_keys: [{name: driver_id, type: string}]")))
        #expect(actions(both)["feature view driver_stats"] == .newVersion(2) && actions(both)["feature view driver_extra"] == .newVersion(2))
    }

    @Test(arguments: TestEngine.all)
    func carryDataCopiesRowsInTheSameTransaction(engine: TestEngine) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        try s.testSQL("""
            INSERT INTO runs (view, version, source, content_sha256, rows, rejected, started_at, committed_at) VALUES ('driver_stats', 1, 't', '', 2, 0, 1, 2)
            """)
        try s.testSQL("INSERT INTO fv_driver_stats_v1 VALUES (1001, 10, 10, 1, 0.5, 0.25, 7, 'oslo'), (1002, 20, 20, 1, 0.75, NULL, 9, 'paris')")
        let yaml = exampleDefinitions
            .replacingOccurrences(of: "{name: city, type: string}", with: "{name: city, type: bytes}\n      - {name: rating, type: float64}")
        let plan = try s.apply(try definitions(yaml), carryData: true)
        #expect(actions(plan)["feature view driver_stats"] == .newVersion(2))
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v2") == 2)
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v2 WHERE conv_rate = 0.5 AND avg_daily_trips = 7 AND __run_id = 1") == 1)
        // New feature and changed type: null.
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v2 WHERE rating IS NULL AND city IS NULL") == 2)
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v1") == 2)
    }

    @Test(arguments: TestEngine.all)
    func withoutCarryDataTheNewVersionStartsEmpty(engine: TestEngine) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        try s.testSQL("INSERT INTO fv_driver_stats_v1 VALUES (1001, 10, 10, 1, 0.5, 0.25, 7, 'oslo')")
        try s.apply(try definitions(exampleDefinitions.replacingOccurrences(of: "ttl: 7d", with: "ttl: 2d")))
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v2") == 0)
    }

    /// SQLite's column limit (PostgreSQL's, 1,600, is another figure: not tested yet).
    @Test func viewWithMoreFeaturesThanATableHoldsIsADefinitionsError() throws {
        func yaml(features count: Int) -> String {
            """
            entities:
              - name: driver
                join_keys: [{name: driver_id, type: int64}]
            feature_views:
              - name: wide
                entity: driver
                features:

            """ + (0..<count).map { "      - {name: f\($0), type: float64}\n" }.joined()
        }
        let s = try store(.sqlite)
        // One join key and three fixed columns: 1996 features fill SQLite's 2000 columns exactly.
        try s.apply(try definitions(yaml(features: 1996)))
        var row: [String: FeatureValue] = ["driver_id": .int64(1), "event_timestamp": .timestamp(10)]
        for i in 0..<1996 { row["f\(i)"] = .float64(Double(i)) }
        try s.write(view: "wide", rows: [row])
        #expect(try s.testInt("SELECT f1995 FROM fv_wide_v1") == 1995)
        let read = try s.historicalFeatures(spine: try testSpine(key: "driver_id", keys: [1], times: [10]), features: [FeatureReference(view: "wide", feature: nil)])
        #expect(read["f1995"].map(testValues) == [.float64(1995)])
        let tables = try s.testTables()
        for count in [1997, 3000] {
            #expect {
                try s.apply(try definitions(yaml(features: count)))
            } throws: { error in
                guard let error = error as? LarderError, error.path == "defs.yaml", error.line == 8 else { return false }
                #expect(error.message == "defs.yaml:8: feature_views[0].features: \(count) features are too many: a table holds at most 2000 columns (SQLite's limit), and 4 of them "
                    + "are the join keys, event_timestamp, created_timestamp, __run_id, so this view can have at most 1996 features")
                return error.category == .invalidInput
            }
        }
        #expect(try s.testTables() == tables)
    }

    @Test(arguments: TestEngine.all)
    func dryRunChangesNothing(engine: TestEngine) throws {
        let s = try store(engine)
        let plan = try s.apply(try definitions(exampleDefinitions), dryRun: true)
        #expect(plan.changesSomething)
        #expect(try s.registry.views.isEmpty)
        #expect(try s.testTables().filter { $0.hasPrefix("fv_") }.isEmpty)
    }

    @Test(arguments: TestEngine.all)
    func dropRemovesOneVersion(engine: TestEngine) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        try s.apply(try definitions(exampleDefinitions.replacingOccurrences(of: "ttl: 7d", with: "ttl: 2d")))
        try s.drop(view: "driver_stats", version: 1)
        #expect(try s.registry.views["driver_stats"]?.map(\.version) == [2])
        #expect(try s.testTables().filter { $0.hasPrefix("fv_") } == ["fv_driver_stats_v2"])
        #expect(throws: LarderError.self) { try s.drop(view: "driver_stats", version: 7) }
        // Version 2 is pinned by the latest version of driver_ranking.
        #expect { try s.drop(view: "driver_stats", version: 2) } throws: { "\($0)".contains("driver_ranking") }
    }

    @Test(arguments: TestEngine.all)
    func droppedVersionNumbersAreNeverReused(engine: TestEngine) throws {
        let s = try store(engine)
        // Without the feature set, which would pin the latest version.
        let yaml = exampleDefinitions.components(separatedBy: "feature_sets:")[0]
        let twoDays = yaml.replacingOccurrences(of: "ttl: 7d", with: "ttl: 2d")
        try s.apply(try definitions(yaml))
        try s.apply(try definitions(twoDays))
        let csv = try dir.write("rows.csv", """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            1001,2026-11-26T10:00:00Z,0.5,0.25,7,oslo

            """)
        var options = IngestOptions()
        options.skipIfUnchanged = true
        #expect(try s.backfill(view: "driver_stats", input: .file(csv), options: options).runID != nil)
        try s.drop(view: "driver_stats", version: 2)
        // The same schema as the dropped version 2, applied again: version 3.
        let plan = try s.apply(try definitions(twoDays))
        #expect(actions(plan)["feature view driver_stats"] == .newVersion(3))
        #expect(try s.registry.views["driver_stats"]?.map(\.version) == [1, 3])
        // Version 2's run is still listed as version 2's, not as version 3's.
        #expect(try s.runs(view: "driver_stats").map(\.version) == [2])
        // The identical input was committed to the dropped version 2 only: it is written to version 3.
        let rewritten = try s.backfill(view: "driver_stats", input: .file(csv), options: options)
        #expect(rewritten.runID != nil)
        #expect(try s.rowCount(view: "driver_stats") == 1)
        #expect(try s.runs(view: "driver_stats").map(\.version) == [3, 2])
        // A view whose every version was dropped continues its numbering.
        try s.drop(view: "driver_stats", version: 1)
        try s.drop(view: "driver_stats", version: 3)
        let again = try s.apply(try definitions(yaml))
        #expect(actions(again)["feature view driver_stats"] == .newVersion(4))
        #expect(try s.registry.views["driver_stats"]?.map(\.version) == [4])
    }

    @Test(arguments: TestEngine.all)
    func featureSetPinsVersionsAndMovesWithNewOnes(engine: TestEngine) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        try s.apply(try definitions(exampleDefinitions.replacingOccurrences(of: "ttl: 7d", with: "ttl: 2d")))
        let sets = try s.registry.featureSets["driver_ranking"] ?? []
        try #require(sets.map(\.version) == [1, 2])
        #expect(sets[0].features.allSatisfy { $0.version == 1 })
        #expect(sets[1].features.allSatisfy { $0.version == 2 })
    }

    @Test(arguments: TestEngine.all)
    func referencesResolve(engine: TestEngine) throws {
        let s = try store(engine)
        try s.apply(try definitions(exampleDefinitions))
        let all = try s.registry.resolve(try FeatureReference.parseList("driver_stats:*,driver_stats@1:city"))
        #expect(all.map(\.reference.description) == ["driver_stats@1:conv_rate", "driver_stats@1:acc_rate", "driver_stats@1:avg_daily_trips", "driver_stats@1:city", "driver_stats@1:city"])
        #expect(throws: LarderError.self) { try s.registry.resolve([FeatureReference(view: "driver_stats", feature: "nope")]) }
        #expect(throws: LarderError.self) { try FeatureReference(parsing: "driver_stats") }
    }
}
