import Foundation
import Synchronization
import Testing
import LarderTestSupport
@testable import Larder

/// Reads in the process that is writing: they use the read connections and
/// the cache, so they never wait for the write connection's transaction.
@Suite struct ReaderPoolTests {
    @Test func readsDoNotWaitForAWriteInProgress() throws {
        let directory = TemporaryDirectory()
        let store = try FeatureStore(path: directory.file("pool.db"))
        try store.apply(Definitions.parse(yaml: ReliabilityData.definitions, file: "defs.yaml"))
        let first = try directory.write("run1.csv", ReliabilityData.csv(run: 1, count: 1_000))
        var options = IngestOptions()
        options.timeUnit = .us
        _ = try store.backfill(view: "events", input: .file(first), options: options)
        let reader = try store.reader(features: [FeatureReference(view: "events", feature: nil)])
        let before = try reader.read(key: 1).int64(at: 0)
        let spine = FeatureFrame(names: ["user_id", "event_timestamp"], columns: [
            try testColumn(.int64, [.int64(1)]), try testColumn(.timestamp, [.timestamp(Timestamp(microseconds: .max / 2))]),
        ])

        // While the second run's transaction is open (its progress callback
        // runs inside it, on the writing thread), another thread reads; the
        // writer waits for those reads, so a read that waited for the write
        // would never finish.
        struct Seen: Sendable { var rowCount = 0, runs = 0, online: Int64?, historical: FeatureValue = .null, views = 0 }
        let seen = Mutex<[Seen]>([])
        let second = try directory.write("run2.csv", ReliabilityData.csv(run: 2, count: 150_000))
        options.batchRows = 10_000
        _ = try store.backfill(view: "events", input: .file(second), options: options) { _ in
            guard seen.withLock({ $0.isEmpty }) else { return }
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                var result = Seen()
                result.rowCount = (try? store.rowCount(view: "events")) ?? -1
                result.runs = (try? store.runs(view: "events").count) ?? -1
                result.views = (try? store.registry.views.count) ?? -1
                result.online = try? reader.read(key: 1).int64(at: 0)
                result.historical = (try? store.historicalFeatures(spine: spine, features: [FeatureReference(view: "events", feature: "value")]))?["value"]?.value(0) ?? .null
                seen.withLock { $0.append(result) }
                done.signal()
            }
            if done.wait(timeout: .now() + 20) == .timedOut { seen.withLock { $0.append(Seen(rowCount: -2)) } }
        }
        let during = try #require(seen.withLock { $0.first })
        #expect(during.rowCount == 1_000, "the reads ran while the write was open, and saw the store before it")
        #expect(during.runs == 1 && during.views == 1 && during.online == before && during.historical == .int64(before ?? -1))
        #expect(try store.rowCount(view: "events") == 151_000)
    }
}
