import Foundation
import Synchronization
import Testing
@testable import Larder
@testable import LarderPostgres
import NIOCore

/// Two stores opened on one location — two processes, or two serving nodes
/// on one PostgreSQL database — each with its own cache: a run committed
/// through one is read through the other (its cache's periodic check reads
/// the new run as a delta), on both engines.
@Suite struct SharedStoreTests {
    @Test(arguments: TestEngine.all)
    func aRunCommittedByOneStoreIsReadByAnother(engine: TestEngine) throws {
        let dir = TemporaryDirectory()
        let location = try engine.newStore(in: dir, file: "shared.db")
        let writer = try engine.open(location)
        try writer.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        let reader = try engine.open(location)
        func row(_ rate: Double, at time: Int64) -> [String: FeatureValue] {
            ["driver_id": .int64(1001), "event_timestamp": .timestamp(Timestamp(microseconds: time)), "conv_rate": .float64(rate),
             "acc_rate": .null, "avg_daily_trips": .int64(1), "city": .string("oslo")]
        }
        let entities = FeatureFrame(names: ["driver_id"], columns: [try testColumn(.int64, [.int64(1001)])])
        let features = [FeatureReference(view: "driver_stats", feature: "conv_rate")]
        let now = Timestamp.nowMicroseconds()
        try writer.write(view: "driver_stats", rows: [row(0.25, at: now - 2_000_000)])
        // The reader caches the view with the first run.
        #expect(try reader.onlineFeatures(entities: entities, features: features).values[0].value(0) == .float64(0.25))
        try writer.write(view: "driver_stats", rows: [row(0.5, at: now - 1_000_000)])
        // Online reads do not wait for the check for others' commits: they
        // see the new run once a check has read it (at most every 250 ms).
        var seen: FeatureValue = .null
        for _ in 0..<400 where seen != .float64(0.5) {
            usleep(25_000)
            seen = try reader.onlineFeatures(entities: entities, features: features).values[0].value(0)
        }
        #expect(seen == .float64(0.5))
        // A historical read refreshes first: it sees the run at once.
        let spine = try testSpine(key: "driver_id", keys: [1001], times: [Timestamp.nowMicroseconds()])
        try writer.write(view: "driver_stats", rows: [row(0.75, at: now - 500_000)])
        #expect(try reader.historicalFeatures(spine: spine, features: features)["conv_rate"].map(testValues) == [.float64(0.75)])
    }

    /// On PostgreSQL a commit is pushed (`LISTEN/NOTIFY`): the other
    /// store's cache reads the new run with no read asking for it, within a
    /// second, even while Swift concurrency's cooperative pool is kept busy
    /// by blocking work (the listening runs on the engine's event loop).
    @Test func aCommitIsPushedToAnotherStoresCache() throws {
        guard let (location, writer) = try Self.postgresStore() else { return }
        let reader = try TestEngine.postgres.open(location)
        let row: [String: FeatureValue] = ["driver_id": .int64(1001), "event_timestamp": .timestamp(10), "conv_rate": .float64(0.5),
                                           "acc_rate": .null, "avg_daily_trips": .int64(1), "city": .null]
        try writer.write(view: "driver_stats", rows: [row])
        let entities = FeatureFrame(names: ["driver_id"], columns: [try testColumn(.int64, [.int64(1001)])])
        _ = try reader.onlineFeatures(entities: entities, features: [FeatureReference(view: "driver_stats", feature: nil)])
        /// Waits until the reader's cache holds run `id`, for at most `seconds`.
        func seen(_ id: Int64, within seconds: Double) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while reader.cache.contents.runs.maxID != id, Date() < deadline { usleep(5_000) }
            return reader.cache.contents.runs.maxID == id
        }
        // The first notice proves the reader is listening (its connection is made in the background).
        let second = try #require(try writer.write(view: "driver_stats", rows: [row]).runID)
        #expect(seen(second, within: 10))
        // Every thread of the cooperative pool blocked while the next run commits.
        let busy = BusyFlag()
        for _ in 0..<ProcessInfo.processInfo.activeProcessorCount * 2 {
            Task.detached { while busy.on.load(ordering: .relaxed) { usleep(1_000) } }
        }
        defer { busy.on.store(false, ordering: .relaxed) }
        let third = try #require(try writer.write(view: "driver_stats", rows: [row]).runID)
        #expect(seen(third, within: 1), "another store's run was not in the cache within 1 s")
    }
}

extension SharedStoreTests {
    /// A new PostgreSQL store of the example definitions, and its location;
    /// `nil` when PostgreSQL is not tested here.
    static func postgresStore() throws -> (location: String, store: FeatureStore)? {
        guard TestEngine.all.contains(.postgres) else { return nil }
        let location = try TestEngine.postgres.newStore(in: TemporaryDirectory())
        let store = try TestEngine.postgres.open(location)
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return (location, store)
    }

    /// A commit notice reaches `onCommit` on a Dispatch thread, never on the
    /// engine's event loop: the store's callback may let go of the last
    /// reference to the store, and closing a store waits for that loop (a
    /// store released there stopped the process).
    @Test func aCommitNoticeIsHandedOnOffTheEventLoop() throws {
        guard let (location, writer) = try Self.postgresStore() else { return }
        let loop = (PostgresStorage.group as any EventLoopGroup).next()
        let onLoop = NoticeThreads()
        let watch = PostgresStorage(address: try PostgresAddress(parsing: location), loop: loop)
            .watchCommits { onLoop.record(loop.inEventLoop) }
        let row: [String: FeatureValue] = ["driver_id": .int64(1), "event_timestamp": .timestamp(10), "conv_rate": .float64(0.5),
                                           "acc_rate": .null, "avg_daily_trips": .int64(1), "city": .null]
        // The watch connects in the background: write until a notice arrives.
        let deadline = Date().addingTimeInterval(10)
        var event: Int64 = 10
        while onLoop.calls.isEmpty, Date() < deadline {
            event += 1
            var next = row
            next["event_timestamp"] = .timestamp(Timestamp(microseconds: event))
            try writer.write(view: "driver_stats", rows: [next])
            usleep(50_000)
        }
        #expect(!onLoop.calls.isEmpty, "no notice within 10 s")
        #expect(!onLoop.calls.contains(true), "onCommit ran on the event loop")
        withExtendedLifetime(watch) {}
    }
}

/// Whether each `onCommit` call ran on the engine's event loop.
private final class NoticeThreads: Sendable {
    private let seen = Mutex<[Bool]>([])
    var calls: [Bool] { seen.withLock { $0 } }
    func record(_ onLoop: Bool) { seen.withLock { $0.append(onLoop) } }
}

/// Whether the tasks that keep the cooperative pool busy go on.
private final class BusyFlag: Sendable {
    /// Set while they go on.
    let on = Atomic<Bool>(true)
}
