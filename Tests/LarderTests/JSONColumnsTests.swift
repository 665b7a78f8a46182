import Testing
@testable import Larder

/// A JSON object of columns (Feast's `df` shape) as a write run: typed and
/// validated like JSON Lines, rows numbered by position, bad shapes refused whole.
@Suite struct JSONColumnsTests {
    let dir = TemporaryDirectory()

    func store() throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file("c.db"))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return s
    }

    func push(_ s: FeatureStore, _ json: String, ignoreUnknown: Bool = false) throws -> IngestResult {
        try push(s, bytes: Array(json.utf8), ignoreUnknown: ignoreUnknown)
    }

    func push(_ s: FeatureStore, bytes: [UInt8], ignoreUnknown: Bool = false) throws -> IngestResult {
        var options = IngestOptions()
        options.format = .jsonColumns
        options.ignoreUnknownColumns = ignoreUnknown
        return try s.backfill(view: "driver_stats", input: .memory(name: "push", bytes: bytes), options: options)
    }

    func problems(_ s: FeatureStore, _ json: String) -> [String] {
        do {
            _ = try push(s, json)
            return ["no error"]
        } catch let error as LarderError {
            return error.problems.map(\.description) + [error.message]
        } catch {
            return ["\(error)"]
        }
    }

    @Test func columnsBecomeRowsTypedLikeJSONLines() throws {
        let s = try store()
        let result = try push(s, #"""
            {"df": {"driver_id": [1, 2], "event_timestamp": ["2026-11-26T10:00:00Z", "2026-11-26T11:00:00Z"],
                    "conv_rate": [0.5, null], "acc_rate": [0.25, 0.5], "avg_daily_trips": [3, 4], "city": ["o\"slo", "lima"]}}
            """#)
        #expect(result.rowsWritten == 2)
        #expect(try s.testInt("SELECT COUNT(*) FROM fv_driver_stats_v1 WHERE conv_rate IS NULL AND driver_id = 2") == 1)
        #expect(try s.testInt(#"SELECT COUNT(*) FROM fv_driver_stats_v1 WHERE city = 'o"slo' AND avg_daily_trips = 3"#) == 1)
        // Without the "df" wrapper too.
        #expect(try push(s, #"{"driver_id": [3], "event_timestamp": ["2026-11-26T10:00:00Z"], "conv_rate": [0.1], "acc_rate": [0.1], "avg_daily_trips": [1], "city": ["x"]}"#).rowsWritten == 1)
    }

    @Test func problemsNameTheRowAndNothingIsWritten() throws {
        let s = try store()
        let found = problems(s, #"{"driver_id": [1, 2, 3], "event_timestamp": ["2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"], "conv_rate": [0.5, 7, 0.5], "acc_rate": [0.1, 0.1, 0.1], "avg_daily_trips": [1, 1, "x"], "city": ["a", "b", "c"]}"#)
        #expect(found.contains { $0.hasPrefix("push:2: column conv_rate") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("push:3: column avg_daily_trips") }, "\(found)")
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    @Test func badShapesAreRefusedWhole() throws {
        let s = try store()
        let cases: [(String, String)] = [
            (#"{"driver_id": [1, 2], "event_timestamp": ["2026-11-26T10:00:00Z"]}"#, "has 1 values, but \"driver_id\" has 2"),
            (#"{"driver_id": 1}"#, "expected an array"),
            (#"[1, 2]"#, "expected a JSON object of columns"),
            (#"{"driver_id": []}"#, "no rows"),
            (#"{}"#, "no columns"),
            (#"{"driver_id": [1], "nope": [2]}"#, "unknown column \"nope\""),
            (#"{"driver_id": [{"a": 1}]}"#, "nested objects"),
            (#"{"driver_id": [1,"#, "malformed JSON"),
            ("", "empty"),
        ]
        for (json, message) in cases {
            let found = problems(s, json)
            #expect(found.contains { $0.contains(message) }, "\(json): \(found)")
        }
        #expect(throws: LarderError.self) { try push(s, bytes: Array(#"{"city": [""#.utf8) + [0xC3, 0x28] + Array(#""]}"#.utf8)) }
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    @Test func unknownColumnsMayBeIgnored() throws {
        let s = try store()
        let result = try push(s, #"{"driver_id": [1], "event_timestamp": ["2026-11-26T10:00:00Z"], "conv_rate": [0.1], "acc_rate": [0.1], "avg_daily_trips": [1], "city": ["x"], "extra": [true]}"#,
                              ignoreUnknown: true)
        #expect(result.rowsWritten == 1)
    }
}
