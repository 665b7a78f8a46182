import Foundation
import Larder
import Testing

/// Definitions with every feature type and every expectation kind.
let ingestDefinitions = """
    entities:
      - name: driver
        join_keys: [{name: driver_id, type: int64}]
    feature_views:
      - name: stats
        entity: driver
        ttl: 7d
        features:
          - {name: conv_rate, type: float64, expect: {min: 0, max: 1}}
          - {name: trips, type: int64, expect: {not_null: true}}
          - {name: city, type: string, expect: {allowed: [oslo, paris]}}
          - {name: active, type: bool}
          - {name: blob, type: bytes}
          - {name: seen, type: timestamp}
          - {name: emb, type: "vector<float32, 2>"}

    """

let ingestHeader = "driver_id,event_timestamp,conv_rate,trips,city,active,blob,seen,emb"

/// A valid CSV row for driver `id`.
func goodRow(_ id: Int) -> String {
    "\(id),2026-11-26T10:00:00Z,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""
}

@Suite struct BackfillCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("ingest.db") }

    /// A store with the ingest definitions and one committed run of two rows.
    func prepared() throws -> FeatureStore {
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ingestDefinitions), "--store", store]).status == 0)
        let base = try dir.write("base.csv", [ingestHeader, goodRow(1), goodRow(2)].joined(separator: "\n") + "\n")
        let result = try CLI.run(["backfill", "stats", "--input", base, "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        return try FeatureStore(path: store, options: .init(create: false))
    }

    /// One malformed input: its text, the line and column the error must name,
    /// the value and the reason it must show.
    struct Malformed: CustomStringConvertible, Sendable {
        var name: String
        var file = "bad.csv"
        var text: String
        var line: Int
        var column: String
        var value: String
        var reason: String
        var flags: [String] = []
        var description: String { name }
    }

    /// A CSV whose third line (second data row) is `row`.
    static func badRow(_ row: String) -> String {
        [ingestHeader, goodRow(10), row, goodRow(12)].joined(separator: "\n") + "\n"
    }

    static let cases: [Malformed] = [
        Malformed(name: "int64 not a number", text: badRow("11,2026-11-26T10:00:00Z,0.5,three,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "trips", value: "three", reason: "not an int64"),
        Malformed(name: "int64 with a fraction", text: badRow("11,2026-11-26T10:00:00Z,0.5,3.5,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "trips", value: "3.5", reason: "not an int64"),
        Malformed(name: "float64 not a number", text: badRow("11,2026-11-26T10:00:00Z,0x1p3,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "conv_rate", value: "0x1p3", reason: "not a float64"),
        Malformed(name: "bad timestamp", text: badRow("11,2026-13-26T10:00:00Z,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "event_timestamp", value: "2026-13-26T10:00:00Z", reason: "out of range"),
        Malformed(name: "timestamp without offset", text: badRow("11,2026-11-26T10:00:00,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "event_timestamp", value: "2026-11-26T10:00:00", reason: "no UTC offset"),
        Malformed(name: "integer epoch without a unit", text: badRow("11,1795687200,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "event_timestamp", value: "1795687200", reason: "needs --time-unit"),
        Malformed(name: "empty event time", text: badRow("11,,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "event_timestamp", value: "", reason: "event time is empty"),
        Malformed(name: "bad timestamp feature", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,oslo,true,aGk=,yesterday,\"[0.5,1]\""),
                  line: 3, column: "seen", value: "yesterday", reason: "not an RFC 3339 timestamp"),
        Malformed(name: "NaN not allowed", text: badRow("11,2026-11-26T10:00:00Z,NaN,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "conv_rate", value: "NaN", reason: "NaN is not allowed"),
        Malformed(name: "above max", text: badRow("11,2026-11-26T10:00:00Z,1.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "conv_rate", value: "1.5", reason: "above max 1"),
        Malformed(name: "below min", text: badRow("11,2026-11-26T10:00:00Z,-0.25,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "conv_rate", value: "-0.25", reason: "below min 0"),
        Malformed(name: "not_null broken", text: badRow("11,2026-11-26T10:00:00Z,0.5,,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "trips", value: "", reason: "expects not_null"),
        Malformed(name: "value not allowed", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,rome,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "city", value: "rome", reason: "not one of the allowed values"),
        Malformed(name: "bad bool", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,oslo,maybe,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "active", value: "maybe", reason: "not a bool"),
        Malformed(name: "bad base64", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,oslo,true,a*k=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "blob", value: "a*k=", reason: "not base64"),
        Malformed(name: "vector of the wrong length", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1,2]\""),
                  line: 3, column: "emb", value: "[0.5,1,2]", reason: "vector has 3 values, the feature has 2"),
        Malformed(name: "malformed vector", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5;1]\""),
                  line: 3, column: "emb", value: "[0.5;1]", reason: "not a vector"),
        Malformed(name: "missing key column",
                  text: "event_timestamp,conv_rate,trips,city,active,blob,seen,emb\n2026-11-26T10:00:00Z,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\"\n",
                  line: 1, column: "driver_id", value: "", reason: "join key column is missing"),
        Malformed(name: "empty key", text: badRow(",2026-11-26T10:00:00Z,0.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "driver_id", value: "", reason: "join key is empty"),
        Malformed(name: "missing feature column", text: "driver_id,event_timestamp,conv_rate\n5,2026-11-26T10:00:00Z,0.5\n",
                  line: 1, column: "trips", value: "", reason: "feature column is missing"),
        Malformed(name: "unknown column", text: ingestHeader + ",colour\n" + goodRow(5) + ",red\n",
                  line: 1, column: "colour", value: "colour", reason: "unknown column"),
        Malformed(name: "empty file", text: "", line: 1, column: "", value: "", reason: "file is empty"),
        Malformed(name: "header only", text: ingestHeader + "\n", line: 1, column: "", value: "", reason: "no data rows"),
        Malformed(name: "ragged row, too few fields", text: badRow("11,2026-11-26T10:00:00Z,0.5"),
                  line: 3, column: "trips", value: "", reason: "expected 9 fields, found 3"),
        Malformed(name: "ragged row, too many fields", text: badRow(goodRow(11) + ",extra"),
                  line: 3, column: "", value: "", reason: "expected 9 fields, found 10"),
        Malformed(name: "unterminated quote",
                  text: [ingestHeader, goodRow(10), "11,2026-11-26T10:00:00Z,0.5,3,\"oslo,true,aGk=,2026-11-26T09:00:00Z,[0.5;1]", "12,x"].joined(separator: "\n") + "\n",
                  line: 3, column: "city", value: "", reason: "closing quote is missing"),
        Malformed(name: "invalid UTF-8", text: badRow("11,2026-11-26T10:00:00Z,0.5,3,os\u{FFFD}lo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "city", value: "", reason: "UTF-8"),
        Malformed(name: "duplicate key in one run", text: [ingestHeader, goodRow(7), goodRow(8), goodRow(7)].joined(separator: "\n") + "\n",
                  line: 4, column: "driver_id", value: "7", reason: "duplicate (key, event_timestamp, created_timestamp)"),
        Malformed(name: "bad created timestamp", text: ingestHeader + ",created_timestamp\n" + goodRow(5) + ",2026-11-26T10:00:00Z\n" + goodRow(6) + ",soon\n",
                  line: 3, column: "created_timestamp", value: "soon", reason: "not an RFC 3339 timestamp"),
        Malformed(name: "JSON Lines: string for an int64", file: "bad.jsonl",
                  text: "{\"driver_id\": 5, \"event_timestamp\": \"2026-11-26T10:00:00Z\", \"conv_rate\": 0.5, \"trips\": \"3\", \"city\": null, \"active\": true, \"blob\": null, \"seen\": null, \"emb\": [1, 2]}\n",
                  line: 1, column: "trips", value: "3", reason: "not an int64"),
        Malformed(name: "JSON Lines: malformed line", file: "bad.jsonl",
                  text: "{\"driver_id\": 5, \"event_timestamp\": \"2026-11-26T10:00:00Z\", \"conv_rate\": 0.5, \"trips\": 3, \"city\": null, \"active\": true, \"blob\": null, \"seen\": null, \"emb\": [1, 2]}\n{\"driver_id\": 6,\n",
                  line: 2, column: "", value: "", reason: "malformed JSON"),
        Malformed(name: "JSON Lines: unknown key", file: "bad.jsonl",
                  text: "{\"driver_id\": 5, \"event_timestamp\": \"2026-11-26T10:00:00Z\", \"conv_rate\": 0.5, \"trips\": 3, \"colour\": \"red\"}\n",
                  line: 1, column: "colour", value: "", reason: "unknown column"),
        Malformed(name: "huge field", text: badRow("11,2026-11-26T10:00:00Z,0.5,3," + String(repeating: "x", count: 17 << 20) + ",true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""),
                  line: 3, column: "city", value: "", reason: "larger than"),
    ]

    @Test(arguments: cases)
    func malformedInputIsRejectedWithItsLineAndNothingIsWritten(_ bad: Malformed) throws {
        let s = try prepared()
        let runsBefore = try s.runs(view: "stats")
        let rowsBefore = try s.rowCount(view: "stats")
        var text = bad.text
        if bad.name == "invalid UTF-8" { text = text.replacingOccurrences(of: "\u{FFFD}", with: "\u{1}") }
        var data = Data(text.utf8)
        if bad.name == "invalid UTF-8", let i = data.firstIndex(of: 1) { data[i] = 0xFF }
        let path = dir.file(bad.file)
        try data.write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["backfill", "stats", "--input", path, "--store", store] + bad.flags)
        #expect(result.status == 1, "\(bad.name): exit \(result.status): \(result.stderr)")
        var prefix = "\(path):\(bad.line):"
        if !bad.column.isEmpty { prefix += " column \(bad.column):" }
        let line = result.stderr.split(separator: "\n").first { $0.hasPrefix(prefix) }
        #expect(line != nil, "\(bad.name): no line starting with \(prefix) in:\n\(result.stderr)")
        if let line {
            if !bad.value.isEmpty { #expect(line.contains("value \"\(bad.value)\""), "\(bad.name): \(line)") }
            #expect(line.contains(bad.reason), "\(bad.name): \(line)")
        }
        #expect(result.stderr.contains("nothing was written") || bad.name == "empty file", "\(bad.name): \(result.stderr)")
        let after = try FeatureStore(path: store, options: .init(create: false))
        #expect(try after.runs(view: "stats") == runsBefore, "\(bad.name)")
        #expect(try after.rowCount(view: "stats") == rowsBefore, "\(bad.name)")
    }

    @Test func atMostTwentyProblemsAreListed() throws {
        _ = try prepared()
        let rows = (100..<150).map { "\($0),2026-11-26T10:00:00Z,7,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\"" }
        let path = try dir.write("many.csv", ([ingestHeader] + rows).joined(separator: "\n") + "\n")
        let result = try CLI.run(["backfill", "stats", "--input", path, "--store", store])
        #expect(result.status == 1)
        #expect(result.stderr.contains("50 problems (first 20 shown)"))
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix(path + ":") }.count == 20)
    }

    @Test func skipModeCommitsGoodRowsAndWritesRejects() throws {
        let s = try prepared()
        let path = try dir.write("mixed.csv", Self.badRow("11,2026-11-26T10:00:00Z,1.5,3,oslo,true,aGk=,2026-11-26T09:00:00Z,\"[0.5,1]\""))
        let rejects = dir.file("rejects.jsonl")
        let result = try CLI.run(["backfill", "stats", "--input", path, "--on-error", "skip", "--reject-file", rejects, "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("rows written: 2, rows rejected: 1"))
        #expect(try s.rowCount(view: "stats") == 4)
        let rejected = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n")
        #expect(rejected.count == 1)
        let object = try JSONSerialization.jsonObject(with: Data(rejected[0].utf8)) as? [String: Any]
        #expect(object?["line"] as? Int == 3)
        #expect((object?["record"] as? String)?.hasPrefix("11,2026-11-26T10:00:00Z,1.5") == true)
        #expect((object?["reasons"] as? [String])?.first?.contains("above max 1") == true)
        #expect(try s.runs(view: "stats").first?.rejected == 1)
    }

    @Test func runsAreListedAndSkipIfUnchangedWritesNothing() throws {
        _ = try prepared()
        let base = dir.file("base.csv")
        let again = try CLI.run(["backfill", "stats", "--input", base, "--skip-if-unchanged", "--store", store])
        #expect(again.status == 0 && again.stdout.contains("unchanged"), "\(again.stdout)\(again.stderr)")
        let rerun = try CLI.run(["backfill", "stats", "--input", base, "--store", store])
        #expect(rerun.stdout.contains("rows written: 2, rows rejected: 0, run id: 2"), "\(rerun.stdout)")
        let runs = try CLI.run(["runs", "stats", "--format", "json", "--store", store])
        let items = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]]
        #expect(items?.map { $0["id"] as? Int } == [2, 1])
        for key in ["id", "version", "rows", "rejected", "content_sha256", "source", "committed_at"] {
            #expect(items?.allSatisfy { $0[key] != nil } == true, "\(key)")
        }
        #expect(items?.first?["content_sha256"] as? String == items?.last?["content_sha256"] as? String)
    }

    @Test func timeOptionsAndStdin() throws {
        let s = try prepared()
        let text = "id,at,conv_rate,trips\n21,1795687200,0.25,4\n22,1795687260,0.75,5\n"
        let result = try CLI.run(["backfill", "stats", "--input", "-", "--event-time-column", "at", "--time-unit", "s",
                                  "--allow-missing-features", "--store", store], stdin: text.replacingOccurrences(of: "id,", with: "driver_id,"))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try s.rowCount(view: "stats") == 4)
        let naive = "driver_id,event_timestamp,conv_rate,trips\n23,2026-11-26 10:00:00,0.25,4\n"
        let utc = try CLI.run(["backfill", "stats", "--input", "-", "--assume-utc", "--allow-missing-features", "--store", store], stdin: naive)
        #expect(utc.status == 0, "\(utc.stderr)")
    }
}

@Suite struct BackfillProgressTests {
    /// With stderr on a terminal (a pseudo-terminal from `script`), a progress
    /// line with rows, rows/s and the percentage of input read is shown;
    /// without one, only the summary.
    @Test func progressLineOnlyOnATerminal() throws {
        let dir = TemporaryDirectory()
        let store = dir.file("p.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", exampleDefinitions), "--store", store]).status == 0)
        let rows = (0..<100).map { "\(1000 + $0),2026-11-26T10:00:00Z,0.5,0.5,3,oslo" }
        let input = try dir.write("in.csv", (["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"] + rows).joined(separator: "\n") + "\n")
        let plain = try CLI.run(["backfill", "driver_stats", "--input", input, "--store", store])
        #expect(plain.status == 0 && plain.stderr.isEmpty && plain.stdout.hasPrefix("rows written: 100,"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", "\(CLI.executable) backfill driver_stats --input \(input) --store \(store)", "/dev/null"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.contains("100 rows, ") && text.contains(" rows/s, 100%"), "\(text)")
        #expect(text.contains("rows written: 100, rows rejected: 0, run id: 2"))
    }
}
