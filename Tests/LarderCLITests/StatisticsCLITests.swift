import Foundation
import Larder
import Testing

/// `larder stats` and `larder drift` through the executable: output, JSON, exit statuses.
@Suite struct StatisticsCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("stats.db") }

    /// A CSV of `count` rows: conv_rate about `mean`, city `city` on odd rows.
    func csv(_ name: String, count: Int, firstID: Int, mean: Double, city: String) throws -> String {
        var rng = SplitMix64(seed: UInt64(firstID))
        var lines = ["driver_id,event_timestamp,conv_rate,trips,city,active,blob,seen,emb"]
        for i in 0..<count {
            let conv = min(1, max(0, mean + Double.random(in: -0.1...0.1, using: &rng)))
            lines.append("\(firstID + i),2026-11-26T10:00:00Z,\(conv),\(i % 7),\(i % 2 == 1 ? city : "oslo"),\(i % 3 == 0),aGk=,2026-11-26T09:00:00Z,\"[3,4]\"")
        }
        return try dir.write(name, lines.joined(separator: "\n") + "\n")
    }

    func prepared() throws {
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ingestDefinitions), "--store", store]).status == 0)
        for (i, (mean, city)) in [(0.3, "oslo"), (0.3, "oslo"), (0.7, "paris")].enumerated() {
            let file = try csv("run\(i).csv", count: 500, firstID: i * 1000, mean: mean, city: city)
            let result = try CLI.run(["backfill", "stats", "--input", file, "--store", store])
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    @Test func statsPrintsATableAndJSON() throws {
        try prepared()
        let table = try CLI.run(["stats", "stats", "--store", store])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.hasPrefix("stats@1: 3 runs (1…3)"), "\(table.stdout)")
        #expect(table.stdout.contains("city") && table.stdout.contains("oslo"))
        let json = try CLI.run(["stats", "stats@1", "--run", "2", "--format", "json", "--store", store])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["runs"] as? [Int] == [2])
        let features = object?["features"] as? [[String: Any]]
        #expect(features?.map { $0["name"] as? String } == ["conv_rate", "trips", "city", "active", "blob", "seen", "emb"])
        #expect(features?.first?["rows"] as? Int == 500)
        #expect(features?.last?["mean"] as? Double == 5, "the vectors' norm")
        let missing = try CLI.run(["stats", "stats", "--run", "99", "--store", store])
        #expect(missing.status == 1 && missing.stderr.contains("run 99"))
        let both = try CLI.run(["stats", "stats", "--run", "1", "--from", "2026-01-01T00:00:00Z", "--store", store])
        #expect(both.status == 1)
    }

    @Test func driftExitsThreeOnDriftAndZeroOtherwise() throws {
        try prepared()
        let same = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "2", "--store", store])
        #expect(same.status == 0 && same.stdout.contains("no feature drifted") && same.stderr.isEmpty, "\(same.stdout)\(same.stderr)")
        let shifted = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "3", "--store", store])
        #expect(shifted.status == 3 && shifted.stderr.isEmpty, "\(shifted.stdout)\(shifted.stderr)")
        #expect(shifted.stdout.contains("drifted: conv_rate, city"), "\(shifted.stdout)")
        let json = try CLI.run(["drift", "stats", "--baseline", "..2100-01-01T00:00:00Z", "--current", "3", "--format", "json", "--store", store])
        #expect(json.status == 3)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["drifted"] as? [String] == ["conv_rate", "city"], "\(json.stdout)")
        let loose = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "3", "--psi", "100", "--ks", "1.01", "--js", "1.01", "--store", store])
        #expect(loose.status == 0, "\(loose.stdout)\(loose.stderr)")
        let bad = try CLI.run(["drift", "stats", "--baseline", "yesterday", "--current", "3", "--store", store])
        #expect(bad.status == 1 && bad.stderr.contains("yesterday"))
        // A side that holds no run is an error, never "no drift": a pipeline gating on drift must stop.
        let empty = try CLI.run(["drift", "stats", "--baseline", "2020-01-01T00:00:00Z..2020-02-01T00:00:00Z", "--current", "3", "--store", store])
        #expect(empty.status == 1 && empty.stdout.isEmpty, "\(empty.stdout)\(empty.stderr)")
        #expect(empty.stderr.contains("the baseline (runs committed from 2020-01-01T00:00:00.000000Z to 2020-02-01T00:00:00.000000Z) holds no committed run of stats@1"),
                "\(empty.stderr)")
        let noCurrent = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "2100-01-01T00:00:00Z..", "--store", store])
        #expect(noCurrent.status == 1 && noCurrent.stderr.contains("the current (runs committed since 2100-01-01T00:00:00.000000Z) holds no committed run"),
                "\(noCurrent.stderr)")
    }

    @Test func driftThresholdsFromTheCommandLine() throws {
        try prepared()
        let perFeature = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "3", "--threshold", "conv_rate:psi=100",
                                      "--threshold", "conv_rate:ks=1.01", "--store", store])
        #expect(perFeature.status == 3 && perFeature.stdout.contains("1 feature drifted: city"), "\(perFeature.stdout)\(perFeature.stderr)")
        let everyFeature = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "3", "--threshold", "js=1.01", "--store", store])
        #expect(everyFeature.status == 3 && everyFeature.stdout.contains("1 feature drifted: conv_rate"), "\(everyFeature.stdout)")
        for bad in ["psi", "conv_rate:psx=1", "psi=-1", ":psi=1"] {
            let refused = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "3", "--threshold", bad, "--store", store])
            #expect(refused.status == 1 && refused.stderr.contains("--threshold"), "\(bad): \(refused.stderr)")
        }
        let unknown = try CLI.run(["drift", "stats", "--baseline", "1", "--current", "3", "--threshold", "nope:psi=1", "--store", store])
        #expect(unknown.status == 1 && unknown.stderr.contains("\"nope\""), "\(unknown.stderr)")
    }

    @Test func driftAgainstWhatAModelWasTrainedOn() throws {
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ingestDefinitions), "--store", store]).status == 0)
        for (i, (mean, city)) in [(0.3, "oslo"), (0.3, "oslo")].enumerated() {
            let file = try csv("run\(i).csv", count: 500, firstID: i * 1000, mean: mean, city: city)
            #expect(try CLI.run(["backfill", "stats", "--input", file, "--store", store]).status == 0)
        }
        let training = try CLI.run(["historical", "--at", "2026-11-26T11:00:00Z", "--features", "stats:conv_rate,stats:city",
                                    "--output", dir.file("train.csv"), "--manifest", dir.file("train.manifest.json"), "--store", store])
        #expect(training.status == 0, "\(training.stderr)")
        let later = try csv("run2.csv", count: 500, firstID: 2000, mean: 0.7, city: "paris")
        #expect(try CLI.run(["backfill", "stats", "--input", later, "--store", store]).status == 0)
        let drift = try CLI.run(["drift", "stats", "--baseline-manifest", dir.file("train.manifest.json"), "--current", "3",
                                 "--format", "json", "--store", store])
        #expect(drift.status == 3, "\(drift.stdout)\(drift.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(drift.stdout.utf8)) as? [String: Any]
        #expect(object?["baseline_runs"] as? [Int] == [1, 2] && object?["current_runs"] as? [Int] == [3])
        let same = try CLI.run(["drift", "stats@1", "--baseline-manifest", dir.file("train.manifest.json"), "--current", "2", "--store", store])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        let both = try CLI.run(["drift", "stats", "--baseline", "1", "--baseline-manifest", dir.file("train.manifest.json"), "--current", "3",
                                "--store", store])
        #expect(both.status == 1)
        let otherVersion = try CLI.run(["drift", "stats@2", "--baseline-manifest", dir.file("train.manifest.json"), "--current", "3", "--store", store])
        #expect(otherVersion.status == 1 && otherVersion.stderr.contains("pins no feature of stats@2"), "\(otherVersion.stderr)")
    }

    @Test func rateLimitsRefuseARunFromTheCommandLine() throws {
        let defs = ingestDefinitions.replacingOccurrences(of: "{name: active, type: bool}", with: "{name: active, type: bool, expect: {max_null_rate: 0.25}}")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", defs), "--store", store]).status == 0)
        var lines = [ingestHeader]
        for i in 0..<10 { lines.append(goodRow(i).replacingOccurrences(of: ",0.5,", with: i < 2 ? ",5," : ",0.5,")) }
        let input = try dir.write("in.csv", lines.joined(separator: "\n") + "\n")
        let rejects = dir.file("rejects.jsonl")
        let refused = try CLI.run(["backfill", "stats", "--input", input, "--on-error", "skip", "--reject-file", rejects,
                                   "--max-reject-rate", "0.1", "--store", store])
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("the run's reject rate 20.0% (2 of 10 rows) is above --max-reject-rate 10.0%; most for feature conv_rate: 2 (max 2)"),
                "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: rejects))
        #expect(try CLI.run(["runs", "stats", "--format", "json", "--store", store]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(try CLI.run(["backfill", "stats", "--input", input, "--max-reject-rate", "0.5", "--store", store]).status == 1,
                "--max-reject-rate without --on-error skip")
        #expect(try CLI.run(["backfill", "stats", "--input", input, "--on-error", "skip", "--reject-file", rejects,
                             "--max-reject-rate", "20", "--store", store]).status == 1)
        let accepted = try CLI.run(["backfill", "stats", "--input", input, "--on-error", "skip", "--reject-file", rejects,
                                    "--max-reject-rate", "0.2", "--store", store])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        let stats = try CLI.run(["stats", "stats", "--store", store])
        #expect(stats.stdout.contains(" 2 (max 2) "), "\(stats.stdout)")
        // The feature's null-rate limit from the definitions: 3 of 10 null is above 25%.
        var nulls = [ingestHeader]
        for i in 0..<10 { nulls.append(goodRow(100 + i).replacingOccurrences(of: ",true,", with: i < 3 ? ",," : ",true,")) }
        let nullInput = try dir.write("nulls.csv", nulls.joined(separator: "\n") + "\n")
        let tooManyNulls = try CLI.run(["backfill", "stats", "--input", nullInput, "--store", store])
        #expect(tooManyNulls.status == 1 && tooManyNulls.stderr.contains("feature active: null rate 30.0% (3 of 10 rows) is above its max_null_rate 25.0%"),
                "\(tooManyNulls.stderr)")
        #expect(try CLI.run(["runs", "stats", "--format", "json", "--store", store]).stdout.contains("\"id\":2") == false)
    }
}
