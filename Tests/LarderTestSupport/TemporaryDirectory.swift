import Foundation

/// A fresh temporary directory, removed when the value is deinitialised.
public final class TemporaryDirectory {
    /// The directory's path.
    public let path: String

    /// Makes a new, empty directory under the system's temporary folder.
    public init() {
        var template = Array((NSTemporaryDirectory() + "/larder-test-XXXXXX").utf8CString)
        path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/name`.
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `path/name` and returns the full path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        let full = file(name)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }
}

/// The definitions example of semantics §6.
public let exampleDefinitions = """
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

/// Definitions of one daily view, `daily` (one int64 feature, `trips`, of
/// the entity `driver`): what the backfill ledger's tests fill interval by
/// interval, from the library and from the command line.
public let dailyTripsDefinitions = """
    entities:
      - name: driver
        join_keys: [{name: driver_id, type: int64}]
    feature_views:
      - name: daily
        entity: driver
        ttl: 7d
        features:
          - {name: trips, type: int64}

    """
