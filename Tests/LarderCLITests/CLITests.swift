import Foundation
import Testing

@Suite struct RegistryCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.file("cli.db") }

    @Test func applyCreateUnchangedNewVersion() throws {
        let defs = try dir.write("defs.yaml", exampleDefinitions)
        #expect(try CLI.run(["init", "--store", store]).status == 0)
        let first = try CLI.run(["apply", defs, "--store", store])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("feature view driver_stats: create"))
        let second = try CLI.run(["apply", defs, "--store", store])
        #expect(second.stdout.contains("feature view driver_stats: unchanged"))
        #expect(second.stdout.contains("nothing to change"))
        let grown = try dir.write("defs2.yaml", exampleDefinitions.replacingOccurrences(
            of: "{name: city, type: string}", with: "{name: city, type: string}\n      - {name: rating, type: float64}"))
        let dry = try CLI.run(["apply", grown, "--dry-run", "--store", store])
        #expect(dry.stdout.contains("feature view driver_stats: new version 2 (added rating)"))
        #expect(dry.stdout.contains("dry run"))
        let third = try CLI.run(["apply", grown, "--store", store])
        #expect(third.stdout.contains("feature view driver_stats: new version 2"))
        let versions = try CLI.run(["versions", "driver_stats", "--store", store, "--format", "json"])
        #expect(versions.status == 0)
        let items = try JSONSerialization.jsonObject(with: Data(versions.stdout.utf8)) as? [[String: Any]]
        #expect(items?.map { $0["version"] as? Int } == [1, 2])
        #expect(items?.allSatisfy { $0["created_at"] is String && $0["ttl"] as? String == "7d" && $0["features"] is [Any] } == true)
        let text = try CLI.run(["versions", "driver_stats", "--store", store])
        #expect(text.stdout.contains("driver_stats@1") && text.stdout.contains("driver_stats@2"))
    }

    @Test func storeFromEnvironmentAndListDescribeDrop() throws {
        let defs = try dir.write("defs.yaml", exampleDefinitions)
        let env = ["LARDER_STORE": store]
        #expect(try CLI.run(["init"], environment: env).status == 0)
        #expect(try CLI.run(["apply", defs], environment: env).status == 0)
        let list = try CLI.run(["list", "--format", "json"], environment: env)
        #expect(list.stdout.contains("\"name\":\"driver_stats\""))
        let describe = try CLI.run(["describe", "driver_stats@1"], environment: env)
        #expect(describe.stdout.contains("conv_rate: float64  expect {min: 0.0, max: 1.0}"))
        let drop = try CLI.run(["drop", "driver_stats@1"], environment: env)
        #expect(drop.status == 1 && drop.stderr.contains("driver_ranking"))
    }

    @Test func exitCodes() throws {
        // I/O: no store here.
        let missing = try CLI.run(["list", "--store", dir.file("none.db")])
        #expect(missing.status == 2 && missing.stderr.hasPrefix("error: "))
        // Usage: unknown subcommand, bad argument.
        #expect(try CLI.run(["bogus"]).status == 1)
        #expect(try CLI.run(["describe", "driver_stats@x", "--store", store]).status != 0)
        // Definitions mistake: 1, and the message names file and line.
        let bad = try dir.write("bad.yaml", exampleDefinitions.replacingOccurrences(of: "ttl: 7d", with: "ttl: week"))
        let result = try CLI.run(["apply", bad, "--store", store])
        #expect(result.status == 1)
        #expect(result.stderr.contains("bad.yaml:7: feature_views[0].ttl: bad duration \"week\""))
        #expect(try CLI.run(["--help"]).status == 0)
    }

    @Test func twoProcessesUseTheSameStoreAtOnce() throws {
        #expect(try CLI.run(["init", "--store", store]).status == 0)
        var processes: [Process] = []
        for i in 0..<2 {
            let yaml = exampleDefinitions.replacingOccurrences(of: "driver_stats", with: "stats_\(i)")
                .replacingOccurrences(of: "driver_ranking", with: "ranking_\(i)")
            let defs = try dir.write("p\(i).yaml", yaml)
            let p = CLI.start(["apply", defs, "--store", store])
            p.standardOutput = FileHandle.nullDevice
            processes.append(p)
        }
        for p in processes { try p.run() }
        for p in processes { p.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == [0, 0])
        let list = try CLI.run(["list", "--store", store])
        #expect(list.stdout.contains("stats_0@1") && list.stdout.contains("stats_1@1"))
    }
}

@Suite struct QuickstartCLITests {
    @Test func quickstartMakesAndFillsADemoStore() throws {
        let dir = TemporaryDirectory()
        let result = try CLI.run(["quickstart", "--dir", dir.file("demo")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("feature view driver_stats: create"))
        #expect(result.stdout.contains("backfilled them as run 1: 720000 rows"))
        let lines = result.stdout.split(separator: "\n")
        // Online: the three drivers have values, 99999 is not found.
        #expect(lines.contains { $0.hasPrefix("   1001 ") && !$0.contains("NOT_FOUND") && !$0.contains("OUTSIDE_MAX_AGE") })
        #expect(lines.contains { $0.hasPrefix("   99999") && $0.contains("NOT_FOUND") })
        // Training set: values between rows, nulls before the data and past the TTL.
        #expect(lines.contains { $0.contains("before the first row") && $0.hasSuffix("null       null") })
        #expect(lines.contains { $0.contains("past the 7-day TTL") && $0.hasSuffix("null       null") })
        #expect(lines.contains { $0.contains("between two hourly rows") && !$0.hasSuffix("null") })
        let runs = try CLI.run(["runs", "driver_stats", "--format", "json", "--store", dir.file("demo/larder.db")])
        #expect(runs.stdout.contains("\"rows\":720000"))
        // The closing drift report: the shifted second run drifts on conv_rate (distribution) and city (nulls) only.
        #expect(result.stdout.contains("7. sent the first day again as run 2 (24000 rows)"), "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("   conv_rate ") && $0.contains("DRIFT: psi") && $0.contains("ks ") })
        #expect(lines.contains { $0.hasPrefix("   city ") && $0.contains("DRIFT: null rate") })
        #expect(lines.contains { $0.hasPrefix("   acc_rate ") && $0.hasSuffix("ok") })
        #expect(lines.contains { $0.hasPrefix("   avg_daily_trips ") && $0.hasSuffix("ok") })
        #expect(result.stdout.contains("2 features drifted: conv_rate, city\n   exit code 3"), "\(result.stdout)")
        let drift = try CLI.run(["drift", "driver_stats", "--baseline", "1", "--current", "2", "--store", dir.file("demo/larder.db")])
        #expect(drift.status == 3)
        // How to serve the store.
        #expect(result.stdout.contains("larder serve --store \(dir.file("demo/larder.db"))"))
        #expect(result.stdout.contains("http://127.0.0.1:6566/ui/"))
    }
}
