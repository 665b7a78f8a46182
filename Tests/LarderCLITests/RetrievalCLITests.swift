import Foundation
import Testing

@Suite struct RetrievalCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("r.db") }

    /// The worked example of docs/retrieval.md: TTL 7 days, a correction in a second run.
    func prepared() throws {
        let defs = try dir.write("defs.yaml", """
            entities:
              - name: driver
                join_keys: [{name: driver_id, type: int64}]
            feature_views:
              - name: driver_stats
                entity: driver
                ttl: 7d
                features:
                  - {name: conv_rate, type: float64}
                  - {name: city, type: string}
            """)
        #expect(try CLI.run(["apply", defs, "--store", store]).status == 0)
        let run1 = try dir.write("run1.csv", "driver_id,event_timestamp,conv_rate,city\n1001,2026-11-01T10:00:00Z,0.5,oslo\n1001,2026-11-03T10:00:00Z,0.6,\n2002,2026-11-02T00:00:00Z,0.1,rome\n")
        #expect(try CLI.run(["backfill", "driver_stats", "--input", run1, "--store", store]).status == 0)
        let run2 = try dir.write("run2.csv", "driver_id,event_timestamp,conv_rate,city\n1001,2026-11-03T10:00:00Z,0.65,paris\n")
        #expect(try CLI.run(["backfill", "driver_stats", "--input", run2, "--store", store]).status == 0)
    }

    let spine = """
        driver_id,event_timestamp,note
        1001,2026-11-01T09:00:00Z,before
        1001,2026-11-01T10:00:00Z,equal
        1001,2026-11-05T00:00:00Z,correction
        1001,2026-11-10T10:00:00Z,ttl edge
        1001,2026-11-10T10:00:01Z,"expired, quoted"
        3003,2026-11-05T00:00:00Z,unknown
        1001,2026-11-05T00:00:00Z,correction

        """

    @Test func anArrowSpineFromAFileOrStandardInputAnswersAsTheCSV() throws {
        try prepared()
        let spinePath = try dir.write("spine.csv", spine)
        let csv = try CLI.run(["historical", "--spine", spinePath, "--features", "driver_stats:*", "--output", "-", "--store", store])
        let arrow = dir.file("spine.arrow")
        let (status, output) = PyArrow.run([try PyArrow.interpreter(), "-c", """
            import sys, pyarrow as pa, pyarrow.csv as pc, pyarrow.ipc as ipc
            t = pc.read_csv(sys.argv[1])
            with ipc.new_file(sys.argv[2], t.schema) as w: w.write_table(t)
            """, spinePath, arrow])
        #expect(status == 0, "\(output)")
        let fromFile = try CLI.run(["historical", "--spine", arrow, "--features", "driver_stats:*", "--output", "-", "--store", store])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout == csv.stdout)
        let process = CLI.start(["historical", "--spine", "-", "--features", "driver_stats:*", "--output", "-", "--store", store])
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: arrow))
        try process.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(printed == csv.stdout)
    }

    @Test func trainingSetFollowsTheRuleAndKeepsSpineOrder() throws {
        try prepared()
        let spinePath = try dir.write("spine.csv", spine)
        let result = try CLI.run(["historical", "--spine", spinePath, "--features", "driver_stats:*", "--output", "-", "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            driver_id,event_timestamp,note,conv_rate,city
            1001,2026-11-01T09:00:00.000000Z,before,,
            1001,2026-11-01T10:00:00.000000Z,equal,0.5,oslo
            1001,2026-11-05T00:00:00.000000Z,correction,0.65,paris
            1001,2026-11-10T10:00:00.000000Z,ttl edge,0.65,paris
            1001,2026-11-10T10:00:01.000000Z,"expired, quoted",,
            3003,2026-11-05T00:00:00.000000Z,unknown,,
            1001,2026-11-05T00:00:00.000000Z,correction,0.65,paris

            """)
        let full = try CLI.run(["historical", "--spine", spinePath, "--features", "driver_stats:conv_rate", "--full-names",
                                "--format", "jsonl", "--output", "-", "--store", store])
        #expect(full.stdout.split(separator: "\n")[2] == #"{"driver_id":1001,"event_timestamp":"2026-11-05T00:00:00.000000Z","note":"correction","driver_stats__conv_rate":0.65}"#)
    }

    /// Spine columns keep their text in CSV and their (inferred or asked) type in JSON Lines.
    @Test func spineColumnsKeepTheirTypes() throws {
        try prepared()
        let spinePath = try dir.write("typed.csv", """
            driver_id,event_timestamp,label,weight,clicked,padded
            1001,2026-11-01T10:00:00Z,1,0.5,true,007
            2002,2026-11-02T00:00:00Z,0,1.0,false,8

            """)
        let common = ["historical", "--spine", spinePath, "--features", "driver_stats:conv_rate", "--output", "-", "--store", store]
        let csv = try CLI.run(common)
        #expect(csv.stdout.split(separator: "\n").map { $0.split(separator: ",").dropFirst(2).dropLast().joined(separator: ",") }
                == ["label,weight,clicked,padded", "1,0.5,true,007", "0,1.0,false,8"])
        let jsonl = try CLI.run(common + ["--format", "jsonl"])
        #expect(jsonl.stdout.split(separator: "\n").first
                == #"{"driver_id":1001,"event_timestamp":"2026-11-01T10:00:00.000000Z","label":1,"weight":0.5,"clicked":true,"padded":"007","conv_rate":0.5}"#)
        let asked = try CLI.run(common + ["--format", "jsonl", "--spine-types", "padded=int64,label=string"])
        #expect(asked.stdout.split(separator: "\n").first
                == #"{"driver_id":1001,"event_timestamp":"2026-11-01T10:00:00.000000Z","label":"1","weight":0.5,"clicked":true,"padded":7,"conv_rate":0.5}"#)
        let bad = try CLI.run(common + ["--spine-types", "weight=int64"])
        #expect(bad.status == 1 && bad.stderr.contains("typed.csv:2: column weight: value \"0.5\": not a int64"), "\(bad.stderr)")
        #expect(try CLI.run(common + ["--spine-types", "weight"]).status != 0)
    }

    @Test func manifestReproducesByteIdenticalOutputAfterLaterBackfills() throws {
        try prepared()
        let spinePath = try dir.write("spine.csv", spine)
        let first = try CLI.run(["historical", "--spine", spinePath, "--feature-set", "missing", "--output", dir.file("x.csv"), "--store", store])
        #expect(first.status == 1)
        let made = try CLI.run(["historical", "--spine", spinePath, "--features", "driver_stats:*", "--output", dir.file("a.csv"),
                                "--manifest", dir.file("m.json"), "--store", store])
        #expect(made.status == 0, "\(made.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("m.json")))) as? [String: Any]
        #expect(manifest?["features"] as? [String] == ["driver_stats@1:conv_rate", "driver_stats@1:city"])
        #expect(manifest?["rows"] as? Int == 7)
        #expect((manifest?["result_sha256"] as? String)?.count == 64)
        // A later correction changes today's answers…
        let run3 = try dir.write("run3.csv", "driver_id,event_timestamp,conv_rate,city\n1001,2026-11-03T10:00:00Z,0.7,oslo\n")
        #expect(try CLI.run(["backfill", "driver_stats", "--input", run3, "--store", store]).status == 0)
        let today = try CLI.run(["historical", "--spine", spinePath, "--features", "driver_stats:*", "--output", "-", "--store", store])
        #expect(today.stdout.contains("0.7,oslo"))
        // …but the manifest reproduces the original bytes.
        let again = try CLI.run(["historical", "--from-manifest", dir.file("m.json"), "--output", dir.file("b.csv"), "--store", store])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.file("a.csv"))) == Data(contentsOf: URL(fileURLWithPath: dir.file("b.csv"))))
        // A different spine is refused.
        let other = try dir.write("spine.csv", spine + "1001,2026-11-06T00:00:00Z,extra\n")
        let refused = try CLI.run(["historical", "--from-manifest", dir.file("m.json"), "--spine", other, "--output", dir.file("c.csv"), "--store", store])
        #expect(refused.status == 1 && refused.stderr.contains("not the spine"))
    }

    @Test func asOfHidesLaterRuns() throws {
        try prepared()
        let runs = try CLI.run(["runs", "driver_stats", "--format", "json", "--store", store])
        let items = try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]] ?? []
        let firstCommit = try #require(items.first { $0["id"] as? Int == 1 }?["committed_at"] as? String)
        let spinePath = try dir.write("spine.csv", "driver_id,event_timestamp\n1001,2026-11-05T00:00:00Z\n")
        let result = try CLI.run(["historical", "--spine", spinePath, "--features", "driver_stats:conv_rate", "--as-of", firstCommit,
                                  "--output", "-", "--store", store])
        #expect(result.stdout.hasSuffix("1001,2026-11-05T00:00:00.000000Z,0.6\n"), "\(result.stdout)")
    }

    @Test func entityLessRetrievalListsEveryKeyAscending() throws {
        try prepared()
        let result = try CLI.run(["historical", "--at", "2026-11-05T00:00:00Z", "--features", "driver_stats:conv_rate,driver_stats:city",
                                  "--output", "-", "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            driver_id,event_timestamp,conv_rate,city
            1001,2026-11-05T00:00:00.000000Z,0.65,paris
            2002,2026-11-05T00:00:00.000000Z,0.1,rome

            """)
    }

    @Test func onlineShowsStatuses() throws {
        try prepared()
        let newer = try dir.write("now.csv", "driver_id,event_timestamp,conv_rate,city\n2002,\(isoNow()),0.25,\n")
        #expect(try CLI.run(["backfill", "driver_stats", "--input", newer, "--store", store]).status == 0)
        let result = try CLI.run(["online", "--features", "driver_stats:conv_rate,driver_stats:city", "--entity", "driver_id=2002",
                                  "--entity", "driver_id=1001", "--entity", "driver_id=9", "--format", "json", "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let results = json?["results"] as? [[String: Any]]
        // The shape of semantics §8: the join key column first, then each feature.
        #expect((json?["metadata"] as? [String: Any])?["feature_names"] as? [String] == ["driver_id", "conv_rate", "city"])
        #expect(results?[0]["values"] as? [Int] == [2002, 1001, 9])
        #expect(results?[0]["statuses"] as? [String] == ["PRESENT", "PRESENT", "PRESENT"])
        #expect(results?[1]["statuses"] as? [String] == ["PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"])
        #expect(results?[2]["statuses"] as? [String] == ["NULL_VALUE", "OUTSIDE_MAX_AGE", "NOT_FOUND"])
        #expect((results?[1]["values"] as? [Any])?.first as? Double == 0.25)
        let bad = try CLI.run(["online", "--features", "driver_stats:conv_rate", "--entity", "rider=1", "--store", store])
        #expect(bad.status == 1)
    }

    @Test func exportDumpsRowsWithTimesAndRuns() throws {
        try prepared()
        let all = try CLI.run(["export", "driver_stats", "--output", "-", "--store", store])
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n")
        #expect(lines.first == "driver_id,event_timestamp,created_timestamp,run_id,conv_rate,city")
        #expect(lines.count == 5)
        #expect(lines.filter { $0.hasPrefix("1001,2026-11-03T10:00:00.000000Z,") }.map { $0.split(separator: ",")[3] } == ["1", "2"])
        let window = try CLI.run(["export", "driver_stats@1", "--from", "2026-11-02T00:00:00Z", "--to", "2026-11-03T10:00:00Z",
                                  "--output", "-", "--store", store])
        #expect(window.stdout.split(separator: "\n").count == 2)
        let arrow = try CLI.run(["export", "driver_stats", "--format", "arrow", "--output", dir.file("e.arrow"), "--store", store])
        #expect(arrow.status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("e.arrow")))
        #expect(bytes.prefix(6) == Data("ARROW1".utf8) && bytes.suffix(6) == Data("ARROW1".utf8))
    }

    @Test func compositeStringKeysAndTwoEntitiesInOneSpine() throws {
        let defs = try dir.write("multi.yaml", """
            entities:
              - name: driver
                join_keys: [{name: driver_id, type: int64}]
              - name: zone
                join_keys: [{name: city, type: string}, {name: zone, type: int64}]
            feature_views:
              - name: driver_stats
                entity: driver
                ttl: 1d
                features: [{name: rate, type: float64}]
              - name: zone_stats
                entity: zone
                features: [{name: demand, type: int64}, {name: emb, type: "vector<float32, 2>"}]
            feature_sets:
              - name: both
                features: [driver_stats:rate, zone_stats:*]
            """)
        #expect(try CLI.run(["apply", defs, "--store", store]).status == 0)
        let drivers = try dir.write("d.csv", "driver_id,event_timestamp,rate\n2,2026-11-01T00:00:00Z,0.7\n1,2026-11-01T00:00:00Z,0.5\n")
        #expect(try CLI.run(["backfill", "driver_stats", "--input", drivers, "--store", store]).status == 0)
        let zones = try dir.write("z.jsonl", """
            {"city":"oslo","zone":2,"event_timestamp":"2026-11-01T00:00:00+01:00","demand":7,"emb":null}
            {"city":"oslo","zone":1,"event_timestamp":"2026-11-01T00:00:00Z","demand":5,"emb":[1,2]}
            {"city":"bergen","zone":1,"event_timestamp":"2026-10-01T00:00:00Z","demand":3,"emb":[0.5,0.25]}

            """)
        let zoned = try CLI.run(["backfill", "zone_stats", "--input", zones, "--store", store])
        #expect(zoned.status == 0, "\(zoned.stderr)")
        let spinePath = try dir.write("s.csv", """
            driver_id,city,zone,event_timestamp
            1,oslo,1,2026-11-01T12:00:00Z
            2,oslo,2,2026-11-03T00:00:00Z
            3,paris,1,2026-11-03T00:00:00Z
            ,bergen,1,2026-11-03T00:00:00Z

            """)
        let result = try CLI.run(["historical", "--spine", spinePath, "--feature-set", "both", "--output", "-", "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            driver_id,city,zone,event_timestamp,rate,demand,emb
            1,oslo,1,2026-11-01T12:00:00.000000Z,0.5,5,"[1.0,2.0]"
            2,oslo,2,2026-11-03T00:00:00.000000Z,,7,
            3,paris,1,2026-11-03T00:00:00.000000Z,,,
            ,bergen,1,2026-11-03T00:00:00.000000Z,,3,"[0.5,0.25]"

            """)
        let online = try CLI.run(["online", "--features", "zone_stats:demand", "--entity", "city=bergen,zone=1", "--entity", "city=oslo,zone=9",
                                  "--format", "csv", "--store", store])
        #expect(online.stdout == "city,zone,demand\nbergen,1,3\noslo,9,\n")
        let scoring = try CLI.run(["historical", "--at", "2026-11-02T00:00:00Z", "--features", "zone_stats:demand", "--output", "-", "--store", store])
        #expect(scoring.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",").prefix(2).joined(separator: ",") }
                == ["bergen,1", "oslo,1", "oslo,2"])
        let mixed = try CLI.run(["historical", "--at", "2026-11-02T00:00:00Z", "--feature-set", "both", "--output", "-", "--store", store])
        #expect(mixed.status == 1 && mixed.stderr.contains("different join keys"))
    }

    func isoNow() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date().addingTimeInterval(-60))
    }
}
