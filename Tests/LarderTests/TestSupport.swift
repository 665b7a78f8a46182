import Foundation
import Synchronization
@testable import Larder

/// A fresh temporary directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/larder-test-XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/name`.
    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `path/name` and returns the full path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let full = file(name)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

/// The definitions example of semantics §6.
let exampleDefinitions = """
    entities:
      - name: driver
        join_keys: [{name: driver_id, type: int64}]
    feature_views:
      - name: driver_stats
        entity: driver
        ttl: 7d
        description: Hourly driver quality stats
        features:
          - {name: conv_rate, type: float64, expect: {min: 0, max: 1}}
          - {name: acc_rate, type: float64}
          - {name: avg_daily_trips, type: int64, expect: {not_null: true}}
          - {name: city, type: string}
    feature_sets:
      - name: driver_ranking
        features: [driver_stats:conv_rate, driver_stats:avg_daily_trips]

    """

extension FeatureStore {
    /// Runs raw SQL on the store's connection (tests only).
    func testSQL(_ sql: String) throws {
        try state.withLock { try $0.db.execute(sql) }
    }

    /// The first column of the first row of `sql` as an integer (tests only).
    func testInt(_ sql: String) throws -> Int64 {
        try state.withLock { try $0.db.queryInt(sql) }
    }

    /// Every table name in the store, sorted (tests only).
    func testTables() throws -> [String] {
        try state.withLock { state in
            let s = try state.db.statement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var names: [String] = []
            while try s.step() { names.append(s.text(0)) }
            s.reset()
            return names
        }
    }
}
