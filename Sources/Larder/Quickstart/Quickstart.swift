#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The demo behind `larder quickstart`: a bundled definitions file and a
/// seeded, generated dataset of hourly driver statistics.
public enum Quickstart {
    /// The definitions the demo applies (the example of semantics §6, with a few more features).
    public static let definitionsYAML = """
        # Larder quick start: one entity, one feature view, one feature set.
        entities:
          - name: driver
            join_keys: [{name: driver_id, type: int64}]
            description: A driver on the platform
        feature_views:
          - name: driver_stats
            entity: driver
            ttl: 7d
            description: Hourly driver quality stats
            owner: quickstart
            features:
              - {name: conv_rate, type: float64, expect: {min: 0, max: 1}}
              - {name: acc_rate, type: float64, expect: {min: 0, max: 1}}
              - {name: avg_daily_trips, type: int64, expect: {not_null: true, min: 0}}
              - {name: city, type: string, expect: {allowed: [berlin, lisbon, oslo, paris]}}
        feature_sets:
          - name: driver_ranking
            features: [driver_stats:conv_rate, driver_stats:acc_rate, driver_stats:avg_daily_trips]

        """

    /// The start of the hour before `time` (µs): the last hour of a dataset
    /// that ends now.
    public static func hour(before time: Int64) -> Int64 {
        time / 3_600_000_000 * 3_600_000_000
    }

    /// Writes the demo dataset as CSV to `path`: `drivers` drivers (ids 1001…)
    /// with one row per hour over `days` days, the last hour being `lastHour`
    /// (µs), so that online reads of a fresh demo find features within their
    /// 7-day TTL. Values come from a fixed seed: every run makes the same
    /// values. About 3 % of `city` values are empty (null).
    ///
    /// - Returns: the number of data rows written.
    @discardableResult
    public static func writeDataset(to path: String, lastHour: Int64, drivers: Int = 1_000, days: Int = 30,
                                    seed: UInt64 = 42) throws(LarderError) -> Int {
        let startTime = lastHour - Int64(days * 24 - 1) * 3_600_000_000
        guard let file = fopen(path, "wb") else { throw .io(path: path, message: String(cString: strerror(errno))) }
        defer { fclose(file) }
        var random = SplitMix64(seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        out.append(contentsOf: "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n".utf8)
        let cities = ["berlin", "lisbon", "oslo", "paris"]
        var rows = 0
        for hour in 0..<(days * 24) {
            let time = startTime + Int64(hour) * 3_600_000_000
            for driver in 0..<drivers {
                out.append(contentsOf: String(1001 + driver).utf8)
                out.append(0x2C)
                Timestamp.write(time, into: &out)
                out.append(0x2C)
                out.append(contentsOf: String(Double(random.next() % 1_000_000) / 1_000_000).utf8)
                out.append(0x2C)
                out.append(contentsOf: String(Double(random.next() % 1_000_000) / 1_000_000).utf8)
                out.append(0x2C)
                out.append(contentsOf: String(random.next() % 500).utf8)
                out.append(0x2C)
                if random.next() % 100 >= 3 { out.append(contentsOf: cities[(driver + hour / 24) % cities.count].utf8) }
                out.append(0x0A)
                rows += 1
                if out.count > (1 << 20) - 256 {
                    guard fwrite(out, 1, out.count, file) == out.count else { throw .io(path: path, message: String(cString: strerror(errno))) }
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        guard fwrite(out, 1, out.count, file) == out.count else { throw .io(path: path, message: String(cString: strerror(errno))) }
        return rows
    }
}
