import Foundation
import Larder
import Testing

/// Every file a command writes is checked against the store and the inputs
/// before anything is written, and appears complete or not at all
/// (semantics §5): the data-loss holes a hostile review found, one test each.
@Suite struct OutputSafetyCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("larder.db") }

    /// A store with the example definitions and one run of three rows, and a
    /// spine for them.
    func prepared() throws -> (spine: String, data: String) {
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", exampleDefinitions), "--store", store]).status == 0)
        let data = try dir.write("data.csv", """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            1001,2026-11-20T10:00:00Z,0.5,0.9,10,oslo
            1002,2026-11-20T10:00:00Z,0.25,0.8,20,paris
            1001,2026-11-21T10:00:00Z,0.75,0.7,30,

            """)
        let backfill = try CLI.run(["backfill", "driver_stats", "--input", data, "--store", store])
        #expect(backfill.status == 0, "\(backfill.stderr)")
        let spine = try dir.write("spine.csv", "driver_id,event_timestamp,label\n1001,2026-11-22T00:00:00Z,1\n1002,2026-11-22T00:00:00Z,0\n")
        return (spine, data)
    }

    /// SHA-256 of a file's bytes, or nil when it does not exist.
    func digest(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return SHA256.hash(Array(data))
    }

    /// The names in the test folder that look like leftover temporary files.
    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
    }

    /// Runs `larder arguments` expecting exit 1 with `message` on stderr, and
    /// checks the store is untouched and still answers.
    func expectRefused(_ arguments: [String], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = digest(store)
        let result = try CLI.run(arguments + ["--store", store])
        #expect(result.status == 1, "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(digest(store) == before, "\(arguments) changed the store", sourceLocation: sourceLocation)
        let opened = try FeatureStore(path: store, options: .init(create: false))
        #expect(try opened.integrityCheck() == "ok", sourceLocation: sourceLocation)
        #expect(try opened.rowCount(view: "driver_stats") == 3, sourceLocation: sourceLocation)
        #expect(try leftovers().isEmpty, sourceLocation: sourceLocation)
    }

    @Test func anOutputNamedForAFormatLarderDoesNotWriteIsRefused() throws {
        let (spine, _) = try prepared()
        let refs = ["--features", "driver_stats:conv_rate"]
        for name in ["train.parquet", "train.JSON", "rows.avro"] {
            try expectRefused(["historical", "--spine", spine] + refs + ["--output", dir.file(name)], "Larder does not write")
            try expectRefused(["export", "driver_stats", "--output", dir.file(name)], "\(name): Larder does not write")
            #expect(!FileManager.default.fileExists(atPath: dir.file(name)))
        }
        // Said outright, the format is written under any name.
        let csv = try CLI.run(["historical", "--spine", spine] + refs + ["--output", dir.file("train.parquet"), "--format", "csv", "--store", store])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(try String(contentsOfFile: dir.file("train.parquet"), encoding: .utf8).hasPrefix("driver_id,event_timestamp,label,conv_rate\n"))
    }

    @Test func outputsThatAreTheStoreAreRefused() throws {
        let (spine, _) = try prepared()
        let refs = ["--features", "driver_stats:conv_rate"]
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", store], "it is the store itself")
        try expectRefused(["export", "driver_stats", "--output", store], "it is the store itself")
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", dir.file("out.csv"), "--manifest", store], "it is the store itself")
        // Another spelling, a symbolic link and a hard link name the same file.
        try FileManager.default.createDirectory(atPath: dir.file("sub"), withIntermediateDirectories: false)
        try expectRefused(["export", "driver_stats", "--output", dir.file("sub/../larder.db")], "it is the store itself")
        try FileManager.default.createSymbolicLink(atPath: dir.file("link.db"), withDestinationPath: store)
        try expectRefused(["export", "driver_stats", "--output", dir.file("link.db")], "it is the store itself")
        #expect(link(store, dir.file("hard.db")) == 0)
        try expectRefused(["export", "driver_stats", "--output", dir.file("hard.db")], "it is the store itself")
        // The store's companions, whether or not they exist right now.
        try expectRefused(["export", "driver_stats", "--output", store + "-wal"], "the store's wal file")
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", store + "-shm"], "the store's shm file")
        try expectRefused(["export", "driver_stats", "--output", store + "-journal"], "the store's journal file")
    }

    @Test func outputsThatAreInputsOrEachOtherAreRefused() throws {
        let (spine, data) = try prepared()
        let refs = ["--features", "driver_stats:conv_rate"]
        let spineBefore = digest(spine)
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", spine], "it is the spine")
        #expect(digest(spine) == spineBefore)
        let out = dir.file("out.csv")
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", out, "--manifest", out], "both go to \(out)")
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", "-", "--manifest", "-"], "both go to -")
        #expect(!FileManager.default.fileExists(atPath: out))
        let dataBefore = digest(data)
        try expectRefused(["backfill", "driver_stats", "--input", data, "--on-error", "skip", "--reject-file", data], "it is the input")
        #expect(digest(data) == dataBefore)
        try expectRefused(["backfill", "driver_stats", "--input", data, "--on-error", "skip", "--reject-file", store], "it is the store itself")
        try expectRefused(["historical", "--spine", spine] + refs + ["--output", dir.path], "is a directory")
    }

    /// The prepared store's training set written with its manifest; the manifest's path.
    func madeManifest() throws -> String {
        let (spine, _) = try prepared()
        let manifest = dir.file("train.json")
        let made = try CLI.run(["historical", "--spine", spine, "--features", "driver_stats:conv_rate", "--output", dir.file("train.csv"),
                                "--manifest", manifest, "--store", store])
        #expect(made.status == 0, "\(made.stderr)")
        return manifest
    }

    @Test func aFailedReproductionLeavesTheOutputAsItWas() throws {
        let manifest = try madeManifest()
        // The manifest now pins a result that the store cannot give: tamper with its hash (and drop its
        // checksum, which would catch the edit first).
        var text = try String(contentsOfFile: manifest, encoding: .utf8).replacing(#/\n  "manifest_sha256" : "[0-9a-f]{64}",/#, with: "")
        let sha = try #require(text.range(of: #"[0-9a-f]{64}"#, options: .regularExpression, range: text.range(of: "result_sha256")!.lowerBound..<text.endIndex))
        text.replaceSubrange(sha, with: String(repeating: "0", count: 64))
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let output = try dir.write("reproduced.csv", "an earlier, complete file\n")
        try expectRefused(["historical", "--from-manifest", manifest, "--output", output], "the result differs")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "an earlier, complete file\n")
        // The manifest being reproduced is an input: it can be neither output.
        try expectRefused(["historical", "--from-manifest", manifest, "--output", manifest, "--format", "csv"], "it is the manifest being reproduced")
    }

    @Test func manifestsAreCheckedOnReplay() throws {
        let manifest = try madeManifest()
        let good = try String(contentsOfFile: manifest, encoding: .utf8)
        let tampered: [(String, String, String)] = [
            (#""larder_manifest" : 1"#, #""larder_manifest" : 2"#, "format version 2"),
            ("driver_stats@1:conv_rate", "driver_stats:conv_rate", "is not pinned"),
            (#""as_of" : "2"#, #""as_of" : "x2"#, "as_of"),
            (#""rows" : 2"#, #""rows" : -2"#, "is negative"),
            (#""spine_sha256" : ""#, #""spine_sha256" : "zz"#, "spine_sha256"),
        ]
        // Without its checksum (as a manifest of an earlier Larder), each field is checked on its own.
        let unsealed = good.replacing(#/\n  "manifest_sha256" : "[0-9a-f]{64}",/#, with: "")
        #expect(unsealed != good, "no checksum in \(good)")
        for (from, to, message) in tampered {
            #expect(good.contains(from), "the manifest has no \(from): \(good)")
            // The format version is read first: a newer format may seal its manifests otherwise.
            let sealed = from.contains("larder_manifest") ? message : "the manifest was edited after it was written"
            for (text, expected) in [(good, sealed), (unsealed, message)] {
                try text.replacingOccurrences(of: from, with: to).write(toFile: manifest, atomically: true, encoding: .utf8)
                try expectRefused(["historical", "--from-manifest", manifest, "--output", dir.file("again.csv")], expected)
                #expect(!FileManager.default.fileExists(atPath: dir.file("again.csv")))
            }
        }
    }

    @Test func aRunWhoseEveryRowWasRejectedIsNotContent() throws {
        _ = try prepared()
        let bad = try dir.write("bad.csv", "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1003,2026-11-20T10:00:00Z,7,0.9,10,oslo\n")
        let rejects = dir.file("rejects.jsonl")
        for flags in [[], ["--skip-if-unchanged"]] {
            let result = try CLI.run(["backfill", "driver_stats", "--input", bad, "--on-error", "skip", "--reject-file", rejects,
                                      "--store", store] + flags)
            #expect(result.status == 1, "\(flags): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains("\(bad):2: column conv_rate: value \"7.0\": above max 1"), "\(result.stderr)")
            #expect(!result.stdout.contains("unchanged"))
        }
        #expect(!FileManager.default.fileExists(atPath: rejects))
        let runs = try FeatureStore(path: store, options: .init(create: false)).runs(view: "driver_stats")
        #expect(runs.count == 1)
    }

    @Test func timesOutsideYearsOneToNineThousandNineHundredNinetyNineAreRefused() throws {
        _ = try prepared()
        let header = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
        let late = try dir.write("late.csv", header + "1001,9999-12-31T23:59:59-01:00,0.5,0.5,1,oslo\n")
        try expectRefused(["backfill", "driver_stats", "--input", late],
                          "late.csv:2: column event_timestamp: value \"9999-12-31T23:59:59-01:00\": timestamp is outside years 0001–9999")
        let early = try dir.write("early.csv", header + "1001,0001-01-01T00:00:00+00:01,0.5,0.5,1,oslo\n")
        try expectRefused(["backfill", "driver_stats", "--input", early], "outside years 0001–9999")
        let epoch = try dir.write("epoch.csv", header + "1001,253402300800,0.5,0.5,1,oslo\n")
        try expectRefused(["backfill", "driver_stats", "--input", epoch, "--time-unit", "s"], "epoch is outside years 0001–9999")
    }

    @Test func theLargestAndSmallestTimesExportAndReimport() throws {
        _ = try prepared()
        let edges = try dir.write("edges.csv", """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            2001,9999-12-31T23:59:59.999999Z,0.5,0.5,1,oslo
            2002,0001-01-01T00:00:00Z,0.5,0.5,1,oslo

            """)
        #expect(try CLI.run(["backfill", "driver_stats", "--input", edges, "--store", store]).status == 0)
        let export = try CLI.run(["export", "driver_stats", "--output", "-", "--store", store])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.contains("2001,9999-12-31T23:59:59.999999Z"), "\(export.stdout)")
        #expect(export.stdout.contains("2002,0001-01-01T00:00:00.000000Z"), "\(export.stdout)")
        #expect(export.stdout.split(separator: "\n").count == 6)
    }

    @Test func aJSONLinesSpineTypesKeysAsABackfillDoes() throws {
        _ = try prepared()
        let spine = try dir.write("spine.jsonl", """
            {"driver_id": 1001, "event_timestamp": "2026-11-22T00:00:00Z"}
            {"driver_id": "1002", "event_timestamp": "2026-11-22T00:00:00Z"}

            """)
        try expectRefused(["historical", "--spine", spine, "--features", "driver_stats:conv_rate", "--output", dir.file("out.csv")],
                          "spine.jsonl:2: column driver_id: value \"1002\": expected int64, found a JSON text")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.csv")))
    }

    @Test func quickstartReplacesItsStoreOnlyWhenTheNewOneIsComplete() throws {
        let demo = dir.file("demo")
        try FileManager.default.createDirectory(atPath: demo, withIntermediateDirectories: false)
        let old = demo + "/larder.db"
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", exampleDefinitions), "--store", old]).status == 0)
        // A folder where the dataset must go makes the quickstart fail: the old store stays.
        try FileManager.default.createDirectory(atPath: demo + "/driver_stats.csv", withIntermediateDirectories: false)
        let failed = try CLI.run(["quickstart", "--dir", demo])
        #expect(failed.status != 0)
        #expect(try FeatureStore(path: old, options: .init(create: false)).registry.views.keys.sorted() == ["driver_stats"])
        #expect(try FeatureStore(path: old, options: .init(create: false)).rowCount(view: "driver_stats") == 0)
        try FileManager.default.removeItem(atPath: demo + "/driver_stats.csv")
        let made = try CLI.run(["quickstart", "--dir", demo])
        #expect(made.status == 0, "\(made.stderr)")
        let replaced = try FeatureStore(path: old, options: .init(create: false))
        #expect(try replaced.integrityCheck() == "ok")
        #expect(try replaced.rowCount(view: "driver_stats") == 720_000 + 24_000) // the dataset, then the shifted first day sent again
        #expect(try FileManager.default.contentsOfDirectory(atPath: demo).filter { $0.contains(".tmp-") }.isEmpty)
    }
}
