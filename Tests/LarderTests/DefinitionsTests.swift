import Foundation
import Testing
@testable import Larder

@Suite struct DefinitionsTests {
    /// Each mistake, the line it is on and the key and message the error must name.
    static let mistakes: [(name: String, from: String, to: String, line: Int, key: String, message: String)] = [
        ("unknown type", "{name: acc_rate, type: float64}", "{name: acc_rate, type: float}", 11,
         "feature_views[0].features[1].type", "unknown type \"float\""),
        ("bad identifier", "{name: acc_rate, type: float64}", "{name: AccRate, type: float64}", 11,
         "feature_views[0].features[1].name", "must start with a lowercase letter"),
        ("SQL metacharacters", "{name: acc_rate, type: float64}", "{name: \"acc_rate\\\"; DROP TABLE runs; --\", type: float64}", 11,
         "feature_views[0].features[1].name", "contains \"\"\""),
        ("reserved column name", "{name: acc_rate, type: float64}", "{name: event_timestamp, type: float64}", 11,
         "feature_views[0].features[1].name", "reserved"),
        ("reserved prefix", "- name: driver_stats", "- name: __driver_stats", 5,
         "feature_views[0].name", "reserved"),
        ("unknown entity", "entity: driver", "entity: rider", 6,
         "feature_views[0].entity", "unknown entity \"rider\""),
        ("duplicate feature", "{name: acc_rate, type: float64}", "{name: conv_rate, type: float64}", 11,
         "feature_views[0].features[1]", "duplicate feature \"conv_rate\""),
        ("bad duration", "ttl: 7d", "ttl: 7 days", 7,
         "feature_views[0].ttl", "bad duration \"7 days\""),
        ("feature set names a missing feature", "driver_stats:avg_daily_trips]", "driver_stats:avg_trips]", 16,
         "feature_sets[0].features[1]", "no feature \"avg_trips\""),
        ("feature set names a missing view", "[driver_stats:conv_rate,", "[rider_stats:conv_rate,", 16,
         "feature_sets[0].features[0]", "no feature view named \"rider_stats\""),
        ("unknown key", "ttl: 7d", "ttl: 7d\n    colour: red", 8,
         "feature_views[0].colour", "unknown key \"colour\""),
        ("bad join key type", "type: int64}]", "type: uuid}]", 3,
         "entities[0].join_keys[0].type", "unknown join key type \"uuid\""),
        ("feature named like a join key", "{name: acc_rate, type: float64}", "{name: driver_id, type: float64}", 11,
         "feature_views[0].features[1].name", "join key"),
        // libyaml notices the unclosed list on the line after it.
        ("YAML syntax", "ttl: 7d", "ttl: [7d", 8, "",
         "YAML syntax: did not find expected ',' or ']' (column 16, while parsing a flow sequence at line 7, column 10)"),
        ("control character", "ttl: 7d", "ttl: 7d\u{7}", 7, "", "YAML: control characters are not allowed (column 12)"),
        // Duplicate keys: at the second occurrence, with the key path.
        ("duplicate key", "    ttl: 7d\n", "    ttl: 7d\n    owner: me\n    ttl: 1d\n", 9,
         "feature_views[0].ttl", "duplicate key (column 5; first at line 7, column 5)"),
        ("duplicate key three times", "    ttl: 7d\n", "    ttl: 7d\n    ttl: 1d\n    ttl: 2d\n", 8,
         "feature_views[0].ttl", "duplicate key (column 5; first at line 7, column 5)"),
        ("duplicate quoted key", "    ttl: 7d\n", "    ttl: 7d\n    \"ttl\": 1d\n", 8,
         "feature_views[0].ttl", "duplicate key"),
        ("duplicate key in a flow mapping", "{name: acc_rate, type: float64}", "{name: acc_rate, type: float64, name: rate}", 11,
         "feature_views[0].features[1].name", "duplicate key (column 41; first at line 11, column 10)"),
        ("duplicate top-level key", "feature_sets:", "feature_views: []\nfeature_sets:", 14,
         "feature_views", "duplicate key (column 1; first at line 4, column 1)"),
        ("two duplicate keys in one mapping", "    ttl: 7d\n", "    ttl: 7d\n    entity: driver\n    ttl: 1d\n", 8,
         "feature_views[0].entity", "duplicate key (column 5; first at line 6, column 5)"),
        ("duplicate key in the fourth list item", "{name: city, type: string}", "{name: city, type: string, type: bytes}", 13,
         "feature_views[0].features[3].type", "duplicate key (column 36; first at line 13, column 22)"),
        // An escaped first occurrence cannot be matched in the text: its own line.
        ("duplicate escaped key", "    ttl: 7d\n", "    \"\\x74tl\": 7d\n    ttl: 1d\n", 7, "ttl", "duplicate key"),
    ]

    @Test(arguments: 0..<mistakes.count)
    func mistakeIsReportedWithFileLineAndKeyAndNothingIsApplied(_ index: Int) throws {
        let mistake = Self.mistakes[index]
        let yaml = exampleDefinitions.replacingOccurrences(of: mistake.from, with: mistake.to)
        #expect(yaml != exampleDefinitions, "the test's replacement did not apply")
        let dir = TemporaryDirectory()
        let store = try FeatureStore(path: dir.file("d.db"))
        let tablesBefore = try store.testTables()
        do {
            try store.apply(try Definitions.parse(yaml: yaml, file: "defs.yaml"))
            Issue.record("\(mistake.name): no error")
        } catch {
            guard error.category == .invalidInput, let line = error.line else {
                Issue.record("\(mistake.name): wrong error \(error)")
                return
            }
            #expect(error.path == "defs.yaml")
            #expect(line == mistake.line, "\(mistake.name): \(error)")
            if !mistake.key.isEmpty { #expect(error.message.hasPrefix("defs.yaml:\(line): \(mistake.key): "), "\(mistake.name): \(error)") }
            #expect(error.message.contains(mistake.message), "\(mistake.name): \(error)")
            #expect(error.description.hasPrefix("defs.yaml:\(mistake.line): "))
            // One line: never the file echoed back.
            #expect(!error.description.contains("\n") && error.description.count < 300, "\(mistake.name): \(error)")

        }
        #expect(try store.testTables() == tablesBefore)
        #expect(try store.registry.entities.isEmpty && store.registry.views.isEmpty)
    }

    @Test func identifierRules() {
        for good in ["a", "_x", "driver_id", "a1_b2", String(repeating: "a", count: 63)] {
            #expect(Identifier.problem(with: good) == nil, "\(good)")
        }
        for bad in ["", "A", "1a", "a-b", "a b", "a;b", "a\"b", "a'b", "__x", "event_timestamp", "created_timestamp",
                    String(repeating: "a", count: 64), "drivér", "x) DROP TABLE runs; --"] {
            #expect(Identifier.problem(with: bad) != nil, "\(bad)")
        }
    }

    @Test func parsesEveryTypeAndExpectation() throws {
        let yaml = """
            entities:
              - name: pair
                join_keys: [{name: a, type: int64}, {name: b, type: string}]
            feature_views:
              - name: v
                entity: pair
                ttl: 0
                owner: me
                tags: {team: ml}
                features:
                  - {name: i, type: int64, expect: {allowed: [1, 2]}}
                  - {name: f, type: float64, expect: {allow_nan: true, min: -1.5}}
                  - {name: b, type: bool}
                  - {name: s, type: string, expect: {allowed: [x, y], not_null: true}}
                  - {name: y, type: bytes}
                  - {name: t, type: timestamp}
                  - {name: e, type: "vector<float32, 3>", expect: {allow_nan: true}}
            """
        // "b" is both a join key and a feature: refused at plan time, so rename it.
        let defs = try Definitions.parse(yaml: yaml.replacingOccurrences(of: "{name: b, type: bool}", with: "{name: flag, type: bool}"), file: "x.yaml")
        let view = defs.featureViews[0]
        #expect(view.features.map(\.type) == [.int64, .float64, .bool, .string, .bytes, .timestamp, .vector(dimension: 3)])
        #expect(view.features[0].expectations.allowed == ["1", "2"])
        #expect(view.features[1].expectations.allowNaN && view.features[1].expectations.min == -1.5)
        #expect(view.features[3].expectations.notNull)
        #expect(view.ttl == 0 && view.owner == "me" && view.tags == ["team": "ml"])
        #expect(defs.entities[0].joinKeys == [JoinKey(name: "a", type: .int64), JoinKey(name: "b", type: .string)])
    }

    @Test func durations() {
        #expect(DurationText.parse("90s") == 90_000_000)
        #expect(DurationText.parse("15m") == 900_000_000)
        #expect(DurationText.parse("12h") == 43_200_000_000)
        #expect(DurationText.parse("7d") == 604_800_000_000)
        #expect(DurationText.parse("0") == 0)
        for bad in ["", "7", "d", "7w", "-1d", "1.5h", "7 d"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.format(604_800_000_000) == "7d")
        #expect(DurationText.format(90_000_000) == "90s")
    }
}
