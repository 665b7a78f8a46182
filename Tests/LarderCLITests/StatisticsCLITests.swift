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
    }
}
