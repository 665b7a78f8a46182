import ArgumentParser
import Foundation
import Larder

/// `write1`: a 1-row `store.write` into a cached view, in process, and the
/// first read of a prepared reader that sees it — on a copy of the store,
/// deleted afterwards, so the original's answers never change.
struct WriteBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "write1",
                                                    abstract: "1-row write into a cached view, then the first read that sees it (on a copy).")

    @OptionGroup var options: ExistingStoreOptions

    /// The view written.
    @Option(help: "The view written (its features must be those of driver_stats).")
    var view = "driver_stats"

    /// How many 1-row writes are timed.
    @Option(help: "Number of 1-row writes timed.")
    var writes = 100

    /// Print every write's milliseconds, in order, on a `write1_series` line.
    @Flag(help: "Also print each write's milliseconds (write + reads), in order.")
    var series = false

    /// Keep the copy for inspection.
    @Flag(help: "Keep the copy of the store instead of deleting it.")
    var keep = false

    func run() throws {
        let copyStart = DispatchTime.now()
        let copy = try StoreCopy(of: options.store, in: options.work, name: "write1.db")
        let copySeconds = seconds(since: copyStart)
        defer { if !keep { copy.remove() } }

        let opened = DispatchTime.now()
        let store = try FeatureStore(path: copy.path, options: .init(create: false))
        let reader = try store.reader(featureSet: options.featureSet)
        let key = options.firstKey + 1
        _ = try reader.read(key: key)
        let openMilliseconds = seconds(since: opened) * 1000
        let before = try store.cacheStatistics()
        guard let position = reader.position(of: "conv_rate") else { throw ValidationError("the feature set has no conv_rate") }

        var total: [Double] = [], writeOnly: [Double] = [], readOnly: [Double] = []
        var firstReadSaw = 0
        var eventTime = Timestamp.now.microseconds - 1_000_000
        for i in 0..<writes {
            // A new, later event time each time (inside the view's TTL), and a value no earlier write had.
            eventTime = max(eventTime + 1, Timestamp.now.microseconds - 1_000_000)
            let value = Double(i) + 0.25
            let row = self.row(key: key, eventTime: eventTime, value: value, i: i)
            let start = DispatchTime.now()
            try store.write(view: view, rows: [row])
            let written = DispatchTime.now()
            var reads = 0
            while true {
                reads += 1
                if try reader.read(key: key).double(at: position) == value { break }
                if seconds(since: written) > 10 { throw ValidationError("write \(i + 1) not seen by a read after 10 s") }
            }
            let end = DispatchTime.now()
            if reads == 1 { firstReadSaw += 1 }
            total.append(milliseconds(start, end))
            writeOnly.append(milliseconds(start, written))
            readOnly.append(milliseconds(written, end))
        }
        if series { print("write1_series ms=" + total.map { Measure.format($0, 2) }.joined(separator: ",")) }
        let after = try store.cacheStatistics()
        print("write1 store=\(options.store) base_rows=\(before.first?.rows ?? 0) writes=\(writes) "
              + "median_ms=\(Measure.format(Measure.median(total))) p90_ms=\(Measure.format(Measure.percentile(total, 90))) "
              + "max_ms=\(Measure.format(total.max()!)) write_median_ms=\(Measure.format(Measure.median(writeOnly))) "
              + "read_median_ms=\(Measure.format(Measure.median(readOnly), 4)) first_read_saw=\(firstReadSaw)/\(writes) "
              + "open_reader_first_read_ms=\(Measure.format(openMilliseconds, 1)) copy_s=\(Measure.format(copySeconds, 1)) "
              + "mapped_before=\(before.first?.mapped ?? false) mapped_after=\(after.first?.mapped ?? false) "
              + "delta_rows_after=\(after.first?.deltaRows ?? 0)")
    }

    /// The `i`-th row written: every feature of `driver_stats`, `conv_rate` = `value`.
    func row(key: Int64, eventTime: Int64, value: Double, i: Int) -> [String: FeatureValue] {
        [
            "driver_id": .int64(key), "event_timestamp": .timestamp(Timestamp(microseconds: eventTime)),
            "conv_rate": .float64(value), "avg_daily_trips": .int64(Int64(i)), "acc_rate": .float64(0.5), "trips_today": .int64(1),
            "rating": .float64(4.5), "earnings_cents": .int64(1234), "distance_km": .float64(12.5), "cancellations": .int64(0),
            "vehicle_type": .string("car"),
        ]
    }

    /// Milliseconds from `start` to `end`.
    func milliseconds(_ start: DispatchTime, _ end: DispatchTime) -> Double {
        Double(end.uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }
}
