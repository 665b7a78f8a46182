import Foundation
import LarderTestSupport
import Testing
@testable import Larder

/// A cache load of a view larger than one page of the engine's scan (on
/// PostgreSQL a page is 65,536 rows of arrays, the next page asked for by
/// the last key of the one before): every key's latest row is read back
/// after a cold load, for string keys whose byte order is not their
/// numeric order (`u10` before `u9`, non-ASCII after ASCII) and for int64
/// keys, on both engines.
@Suite struct CacheLoadPagesTests {
    let dir = TemporaryDirectory()
    static let keys = 60_000
    static let rowsPerKey = 3

    static let definitions = """
        entities:
          - name: user
            join_keys: [{name: user_id, type: string}]
          - name: driver
            join_keys: [{name: driver_id, type: int64}]
        feature_views:
          - name: by_user
            entity: user
            ttl: 0
            features:
              - {name: score, type: float64}
              - {name: label, type: string}
          - name: by_driver
            entity: driver
            ttl: 0
            features:
              - {name: score, type: float64}
              - {name: label, type: string}

        """

    /// Key `i` of the string view: lengths and a non-ASCII tail vary, so byte order mixes them up.
    static func stringKey(_ i: Int) -> String { i % 7 == 0 ? "ü\(i)" : "u\(i)" }

    @Test(arguments: TestEngine.all)
    func aViewOfSeveralPagesLoadsEveryKeysLatestRow(engine: TestEngine) throws {
        let location = try engine.newStore(in: dir)
        let writer = try engine.open(location)
        try writer.apply(try Definitions.parse(yaml: Self.definitions, file: "defs.yaml"))
        for (view, key) in [("by_user", "user_id"), ("by_driver", "driver_id")] {
            var csv = "\(key),event_timestamp,score,label\n"
            // Rows in an order that is not the key order; the latest row of key i is hour 12.
            for hour in [11, 12, 10] {
                for i in 0..<Self.keys {
                    let k = view == "by_user" ? Self.stringKey(i) : String(i * 3)
                    csv += "\(k),2026-11-20T\(hour):00:00Z,\(Double(i) + Double(hour) / 100),l\(i % 13)-\(hour)\n"
                }
            }
            let path = dir.file("\(view).csv")
            try csv.write(toFile: path, atomically: true, encoding: .utf8)
            _ = try writer.backfill(view: view, input: .file(path))
        }
        // A new store object, no snapshot files: both views loaded from the engine.
        let cold = try engine.open(location, options: .init(create: false, snapshotFiles: false))
        let users = try cold.reader(features: [FeatureReference(view: "by_user", feature: nil)])
        let drivers = try cold.reader(features: [FeatureReference(view: "by_driver", feature: nil)])
        var wrong: [String] = []
        for i in 0..<Self.keys {
            let expected = (Double(i) + 0.12, "l\(i % 13)-12")
            let user = try users.read(key: Self.stringKey(i))
            if user.double(at: 0) != expected.0 || user.string(at: 1) != expected.1 { wrong.append("user \(Self.stringKey(i))") }
            let driver = try drivers.read(key: Int64(i * 3))
            if driver.double(at: 0) != expected.0 || driver.string(at: 1) != expected.1 { wrong.append("driver \(i * 3)") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) keys read wrong, first \(wrong.prefix(5))")
        #expect(try users.read(key: "u\(Self.keys)").status(at: 0) == .notFound)
        #expect(try cold.rowCount(view: "by_user") == Self.keys * Self.rowsPerKey)
    }
}
