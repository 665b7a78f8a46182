import Foundation
import LarderTestSupport

/// A store for the UI tests: two views (one with two versions, one filled
/// by a backfill over intervals with a failed interval and a gap in its
/// ledger), runs with statistics, a third run whose values drifted, a
/// feature set, and `<script>` in a view's and a feature's description.
struct UIFixture {
    let dir = TemporaryDirectory()
    var path: String { dir.file("larder.db") }
    /// The folder of training-set manifests served with `--manifests`:
    /// `train.json`, read after the first run of `driver_stats@2`, and a
    /// file that is no manifest (`notes.txt`), never offered.
    var manifests: String { dir.file("manifests") }
    /// `larder serve`'s arguments for this fixture.
    var serveArguments: [String] { ["--manifests", manifests] }

    /// Hostile text in the descriptions: shown as text, never run.
    static let scriptDescription = "Hourly <script>document.title='pwned'</script> stats & more"
    static let scriptFeatureDescription = "<img src=x onerror=alert(1)> conversion <b>rate</b>"

    /// The definitions file: version 1 of `driver_stats`, or version 2 with
    /// a third feature and `<script>` in its descriptions.
    static func definitions(version: Int) -> String {
        let (viewDescription, convDescription) = version == 1 ? ("Hourly driver quality stats", "") : (scriptDescription, scriptFeatureDescription)
        return """
            entities:
              - name: driver
                description: A driver of the fleet
                join_keys: [{name: driver_id, type: int64}]
            feature_views:
              - name: driver_stats
                entity: driver
                ttl: 7d
                description: "\(viewDescription)"
                features:
                  - {name: conv_rate, type: float64, expect: {min: 0, max: 1}, description: "\(convDescription)"}
                  - {name: city, type: string}
            \(version == 1 ? "" : "      - {name: trips_today, type: int64}\n")\
              - name: driver_daily
                entity: driver
                ttl: 2d
                description: Daily trips and distance
                features:
                  - {name: trips, type: int64, expect: {min: 0}}
                  - {name: km, type: float64, expect: {min: 0}}
            feature_sets:
              - name: driver_ranking
                description: What the ranker reads
                features: [driver_stats:conv_rate, driver_daily:trips]

            """
    }

    init() throws {
        let v1 = try dir.write("v1.yaml", UIFixture.definitions(version: 1))
        let v2 = try dir.write("v2.yaml", UIFixture.definitions(version: 2))
        var random = SplitMix(seed: 7)
        func csv(_ hour: Int, rows: Int, conv: ClosedRange<Double>, cities: [String], trips: Bool) -> String {
            var text = "driver_id,event_timestamp,conv_rate,city" + (trips ? ",trips_today" : "") + "\n"
            for i in 0..<rows {
                let conv = i % 17 == 0 ? "" : String(format: "%.4f", conv.lowerBound + random.unit() * (conv.upperBound - conv.lowerBound))
                text += "\(1000 + i),2026-11-26T\(String(format: "%02d", hour)):00:00Z,\(conv),\(cities[i % cities.count])" + (trips ? ",\(i % 9)" : "") + "\n"
            }
            return text
        }
        let script = try dir.write("daily.sh", """
            case "$1" in 2026-03-03*) echo "no trips between $1 and $2" >&2; exit 1;; esac
            echo "driver_id,event_timestamp,trips,km"
            echo "1001,$1,3,4.5"
            echo "1002,$1,5,12.0"

            """)
        let command = "sh \(script) {start} {end}"
        let steps: [[String]] = [
            ["init"], ["apply", v1],
            ["backfill", "driver_stats", "--input", try dir.write("v1.csv", csv(8, rows: 120, conv: 0.1...0.5, cities: ["paris", "lyon"], trips: false))],
            ["apply", v2],
            ["backfill", "driver_stats", "--input", try dir.write("r1.csv", csv(9, rows: 400, conv: 0.1...0.5, cities: ["paris", "lyon", "nice"], trips: true))],
            ["historical", "--at", "2026-11-26T12:00:00Z", "--features", "driver_stats:conv_rate", "--output", dir.file("train.csv"),
             "--manifest", manifests + "/train.json"],
            ["backfill", "driver_stats", "--input", try dir.write("r2.csv", csv(10, rows: 400, conv: 0.1...0.5, cities: ["paris", "lyon", "nice"], trips: true))],
            ["backfill", "driver_stats", "--input", try dir.write("r3.csv", csv(11, rows: 400, conv: 0.6...0.95, cities: ["marseille"], trips: true))],
            ["backfill", "driver_daily", "--command", command, "--from", "2026-03-01T00:00:00Z", "--to", "2026-03-05T00:00:00Z", "--every", "1d"],
            ["backfill", "driver_daily", "--command", command, "--from", "2026-03-06T00:00:00Z", "--to", "2026-03-08T00:00:00Z", "--every", "1d"],
        ]
        try FileManager.default.createDirectory(atPath: manifests, withIntermediateDirectories: true)
        _ = try dir.write("manifests/notes.txt", "not a manifest")
        for arguments in steps {
            let result = try Larder.run(arguments + ["--store", path])
            // The backfill over intervals exits non-zero for its failed interval, by design.
            guard result.status == 0 || arguments.contains("--command") else { throw TestFailure("larder \(arguments) failed: \(result.stderr)") }
        }
    }
}

/// A small seeded generator for the fixture's values.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
