import Foundation
import Synchronization
import Testing
@testable import Larder

/// What the feature server needs of the library: event times in online
/// answers (from the cache, its delta and SQLite), a prepared reader's
/// batch read, writes from bytes in memory, training sets streamed to a
/// consumer, the newest runs and the feature sets as JSON.
@Suite struct ServingTests {
    let dir = TemporaryDirectory()
    /// The start of the hour two hours ago: online reads happen now, under
    /// the example's 7-day TTL, so the rows must be recent (fixed dates
    /// made these tests fail a week after they were written).
    static let start = (Timestamp.nowMicroseconds() / 3_600_000_000 - 2) * 3_600_000_000
    static let early = Timestamp(microseconds: start).description
    static let late = Timestamp(microseconds: start + 3_600_000_000).description
    /// Half an hour after `early` (`hour` 0) or after `late` (`hour` 1), for spines.
    static func halfPast(_ hour: Int) -> String { Timestamp(microseconds: start + Int64(hour) * 3_600_000_000 + 1_800_000_000).description }

    /// A store of the example definitions: driver 1 at `early` (and `late`
    /// when `second`), with the cache budget `cacheBytes`.
    func store(cacheBytes: Int? = nil, second: Bool = true) throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file("s.db"), options: .init(cacheBytes: cacheBytes))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        var csv = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1,\(ServingTests.early),0.5,,3,oslo\n"
        if second { csv += "1,\(ServingTests.late),0.6,,4,oslo\n" }
        _ = try s.backfill(view: "driver_stats", input: .memory(name: "rows", bytes: Array(csv.utf8)))
        return s
    }

    func entities(_ keys: [Int64?]) throws -> FeatureFrame {
        var column = Column(type: .int64)
        for key in keys { if let key { column.append(key) } else { column.appendNull() } }
        return FeatureFrame(names: ["driver_id"], columns: [column])
    }

    /// A one-shot online read does not wait while another thread holds the
    /// cache's transaction (as a large view's load does, for seconds): the
    /// store answers it, with the answer the cache gives afterwards. The
    /// holder waits until the read has returned, so a read that waited
    /// for it would never return; the guard's 60 s only ends such a test.
    @Test func aOneShotReadDoesNotWaitForAViewBeingLoaded() throws {
        let s = try store()
        let features = try FeatureReference.parseList("driver_stats:conv_rate,driver_stats:avg_daily_trips")
        let entities = try entities([1, 2])
        #expect(s.cache.contents.snapshots.isEmpty, "nothing cached before the first read")
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), released = DispatchSemaphore(value: 0)
        let readDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? s.withReader { state in try s.cache.transaction(source: state.session) { _ in holding.signal(); release.wait() } }
            released.signal()
        }.start()
        holding.wait()
        let answer = Mutex<Result<OnlineResult, LarderError>?>(nil)
        Thread {
            let result = Result { () throws(LarderError) in try s.onlineFeatures(entities: entities, features: features) }
            answer.withLock { $0 = result }
            readDone.signal()
        }.start()
        let returned = readDone.wait(timeout: .now() + 60) == .success
        #expect(s.cache.contents.snapshots.isEmpty, "the store answered: nothing was cached")
        release.signal()
        released.wait()
        if !returned { readDone.wait() }
        #expect(returned, "the one-shot read waited for the cache's transaction")
        let whileHeld = try #require(answer.withLock { $0 }).get()
        let afterwards = try s.onlineFeatures(entities: entities, features: features)
        #expect(!s.cache.contents.snapshots.isEmpty, "the next read, with the cache free, took the view in")
        #expect(whileHeld.values.map { [$0.value(0), $0.value(1)] } == afterwards.values.map { [$0.value(0), $0.value(1)] })
        #expect(whileHeld.statuses == afterwards.statuses && whileHeld.eventTimestamps == afterwards.eventTimestamps)
        #expect(whileHeld.values[0].value(0) == .float64(0.6))
    }

    @Test(arguments: [nil, 0]) func onlineAnswersCarryTheWinnersEventTime(cacheBytes: Int?) throws {
        let s = try store(cacheBytes: cacheBytes)
        let features = try FeatureReference.parseList("driver_stats:conv_rate,driver_stats:acc_rate")
        let batch = try s.onlineFeatures(entities: try entities([1, 2]), features: features)
        let read = try s.reader(features: features).read(entities: try entities([1, 2, nil]))
        for result in [batch, read] {
            #expect(result.eventTimestamps[0].first == Timestamp(microseconds: try Timestamp(parsing: ServingTests.late).microseconds))
            #expect(result.eventTimestamps[1].first??.description == ServingTests.late) // a null value still has its row's time
            #expect(result.eventTimestamps[0][1] == nil)
            #expect(result.statuses[1][0] == .nullValue)
        }
        #expect(read.statuses[0] == [.present, .notFound, .notFound])
        #expect(read.values[0].value(0) == .float64(0.6))
        let json = read.json(entities: try entities([1, 2, nil]))
        #expect(json.contains("\"event_timestamps\":[\"\(ServingTests.late)\",\"1970-01-01T00:00:00Z\",\"1970-01-01T00:00:00Z\"]"), "\(json)")
    }

    /// An online read that brings its views into the cache reads the store
    /// in that transaction, so it starts no check for other processes'
    /// commits in the background (a one-shot `larder online` would only exit
    /// under it); a read from the cache as it is starts one when due.
    @Test func anOnlineReadThatLoadsTheCacheStartsNoCheckInTheBackground() throws {
        _ = try store()
        let s = try FeatureStore(path: dir.file("s.db"))
        let features = try FeatureReference.parseList("driver_stats:conv_rate")
        #expect(try s.onlineFeatures(entities: try entities([1]), features: features).values[0].value(0) == .float64(0.6))
        #expect(s.cache.backgroundChecks.load(ordering: .relaxed) == 0)
        usleep(UInt32(FeatureCache.checkInterval) + 50_000)
        #expect(try s.onlineFeatures(entities: try entities([1]), features: features).values[0].value(0) == .float64(0.6))
        #expect(s.cache.backgroundChecks.load(ordering: .relaxed) == 1)
    }

    @Test func aWriteAfterTheSnapshotIsTimedFromTheDelta() throws {
        let s = try store(second: false)
        let reader = try s.reader(features: try FeatureReference.parseList("driver_stats:conv_rate"))
        #expect(try reader.read(key: 1).eventTimestamp(at: 0)?.description == ServingTests.early)
        let csv = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1,\(ServingTests.late),0.7,,5,oslo\n"
        _ = try s.backfill(view: "driver_stats", input: .memory(name: "push", bytes: Array(csv.utf8)))
        #expect(try reader.read(key: 1).eventTimestamp(at: 0)?.description == ServingTests.late)
        #expect(try s.onlineFeatures(entities: try entities([1]), features: try FeatureReference.parseList("driver_stats:conv_rate"))
                    .eventTimestamps[0][0]?.description == ServingTests.late)
    }

    @Test func aWriteFromMemoryIsOneRunNamedAndCheckedLikeAFile() throws {
        let s = try store()
        let runs = try s.runs(view: "driver_stats")
        #expect(runs.first?.source == "rows")
        let bad = Array("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1,\(ServingTests.late),7,,1,oslo\n".utf8)
        #expect(throws: LarderError.self) { try s.backfill(view: "driver_stats", input: .memory(name: "push", bytes: bad)) }
        do {
            _ = try s.backfill(view: "driver_stats", input: .memory(name: "push", bytes: bad))
        } catch {
            #expect(error.problems.first?.description.hasPrefix("push:2: column conv_rate") == true, "\(error)")
        }
        #expect(try s.runs(view: "driver_stats").count == runs.count)
        #expect(try s.runs(view: "driver_stats", limit: 1).map(\.id) == [runs[0].id])
    }

    @Test(arguments: OutputFormat.allCases) func aStreamedTrainingSetIsTheWrittenOne(format: OutputFormat) throws {
        let s = try store()
        var spine = "driver_id,event_timestamp\n"
        for row in 0..<70_000 { spine += "\(row % 3),\(ServingTests.halfPast(row % 2))\n" }
        let request = TrainingSetRequest(rows: .spine(.memory(name: "spine", bytes: Array(spine.utf8))),
                                         features: try FeatureReference.parseList("driver_stats:*"), asOf: .now)
        let streamed = Mutex<[[UInt8]]>([])
        let summary = try s.streamTrainingSet(request, format: format) { bytes in streamed.withLock { $0.append(Array(bytes)) } }
        #expect(summary.rows == 70_000)
        let chunks = streamed.withLock { $0 }
        #expect(chunks.count > 1) // handed over as encoded, not at the end
        if format != .arrow {
            let spinePath = try dir.write("spine.csv", spine)
            var file = request
            file.rows = .spine(.file(spinePath))
            try s.writeTrainingSet(file, format: format, to: .file(dir.file("out")))
            #expect(chunks.flatMap { $0 } == Array(try Data(contentsOf: URL(fileURLWithPath: dir.file("out")))))
        } else {
            #expect(chunks[0].starts(with: [0xFF, 0xFF, 0xFF, 0xFF])) // the stream format's continuation marker, no "ARROW1" magic
        }
    }

    @Test func aConsumerThatStopsStopsTheEncoding() throws {
        let s = try store()
        var spine = "driver_id,event_timestamp\n"
        for row in 0..<200_000 { spine += "\(row % 3),\(ServingTests.halfPast(1))\n" }
        let request = TrainingSetRequest(rows: .spine(.memory(name: "spine", bytes: Array(spine.utf8))),
                                         features: try FeatureReference.parseList("driver_stats:*"))
        let calls = Mutex(0)
        #expect(throws: LarderError.self) {
            try s.streamTrainingSet(request, format: .csv) { _ throws(LarderError) in
                calls.withLock { $0 += 1 }
                throw LarderError(.io, "gone")
            }
        }
        #expect(calls.withLock { $0 } == 1)
    }

    @Test func featureSetsAsJSON() throws {
        let s = try store()
        #expect(try s.registry.featureSetsJSON().contains(#""features":["driver_stats@1:conv_rate","driver_stats@1:avg_daily_trips"],"name":"driver_ranking","version":1"#))
    }
}
