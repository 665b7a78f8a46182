import Foundation
import Synchronization
import Testing
@testable import Larder

/// Group commit (FeatureStore+GroupCommit.swift): small writes that arrive
/// while another holds the write lock share one transaction, each still its
/// own run, and a refused one is undone alone; on both engines
/// (``TestEngine``).
@Suite struct GroupCommitTests {
    let dir = TemporaryDirectory()

    /// How a test write is made.
    enum Kind: CaseIterable {
        /// Two good rows.
        case valid
        /// A conv_rate above its max: refused by validation.
        case aboveMax
        /// The same row twice: refused by the run's writer (a duplicate).
        case duplicate
        /// No city column: refused while the input is read, before it waits.
        case missingColumn
    }

    /// The rows of write `i` of `kind`: drivers 100 + i and 1000 + i, with
    /// avg_daily_trips = i, an hour ago.
    static func rows(_ i: Int, _ kind: Kind) -> [[String: FeatureValue]] {
        let event = FeatureValue.timestamp(Timestamp(microseconds: Timestamp.nowMicroseconds() - 3_600_000_000))
        func row(_ driver: Int) -> [String: FeatureValue] {
            var row: [String: FeatureValue] = ["driver_id": .int64(Int64(driver)), "event_timestamp": event,
                                               "conv_rate": .float64(kind == .aboveMax ? 1.5 : 0.5), "acc_rate": .null,
                                               "avg_daily_trips": .int64(Int64(i)), "city": .string("c\(i)")]
            if kind == .missingColumn { row["city"] = nil }
            return row
        }
        return kind == .duplicate ? [row(100 + i), row(100 + i)] : [row(100 + i), row(1000 + i)]
    }

    @Test(arguments: TestEngine.all)
    func writesWaitingForTheLockCommitInOneTransactionEachItsOwnRun(engine: TestEngine) throws {
        let location = try engine.newStore(in: dir, file: "g.db")
        let store = try engine.open(location)
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        let reader = try store.reader(featureSet: "driver_ranking")
        #expect(try reader.read(key: 100).status(at: 1) == .notFound) // the view is cached now
        let loaded = store.cache.rowsLoaded.load(ordering: .relaxed)

        let kinds: [Kind] = (0..<24).map { i in i % 4 == 1 ? .aboveMax : i % 6 == 2 ? .duplicate : i == 7 ? .missingColumn : .valid }
        let outcomes = Mutex<[Int: Result<IngestResult, LarderError>]>([:])
        let finished = DispatchGroup()
        // Hold the write lock until every write that can wait is waiting for it: the next holder commits them all.
        try store.withState { _ in
            for (i, kind) in kinds.enumerated() {
                finished.enter()
                Thread {
                    let outcome = Result { () throws(LarderError) in try store.write(view: "driver_stats", rows: Self.rows(i, kind)) }
                    outcomes.withLock { $0[i] = outcome }
                    finished.leave()
                }.start()
            }
            while store.commits.count < kinds.count(where: { $0 != .missingColumn }) { Thread.sleep(forTimeInterval: 0.001) }
        }
        finished.wait()

        let valid = kinds.indices.filter { kinds[$0] == .valid }
        #expect(store.commits.transactions.load(ordering: .relaxed) == 1, "every waiting write shared one transaction")
        #expect(store.commits.runs.load(ordering: .relaxed) == valid.count)
        #expect(store.commits.turns.load(ordering: .relaxed) == 1,
                "the writer woken when the lock was released committed the others, which never took the lock")
        #expect(store.commits.savepoints.load(ordering: .relaxed) == kinds.count(where: { $0 == .aboveMax }),
                "only the writes whose input had problems took a savepoint")
        #expect(store.commits.retries.load(ordering: .relaxed) == kinds.count(where: { $0 == .duplicate }),
                "a duplicate, found only by its writer, made the group be written again without it")
        let results = outcomes.withLock { $0 }
        var runIDs: Set<Int64> = []
        for (i, kind) in kinds.enumerated() {
            switch (kind, results[i]) {
            case (.valid, .success(let result)?):
                #expect(result.rowsWritten == 2)
                if let id = result.runID { runIDs.insert(id) }
                #expect(try store.testInt("SELECT COUNT(*) FROM fv_driver_stats_v1 WHERE avg_daily_trips = \(i) AND __run_id = \(result.runID ?? -1)") == 2)
                #expect(try store.testInt("SELECT COUNT(*) FROM run_statistics WHERE run_id = \(result.runID ?? -1)") == 4)
                #expect(try reader.read(key: Int64(1000 + i)).int64(at: 1) == Int64(i), "write \(i) is visible at once")
            case (.aboveMax, .failure(let error)?):
                #expect(error.category == .invalidInput && "\(error)".contains("above max 1"), "\(error)")
            case (.duplicate, .failure(let error)?), (.missingColumn, .failure(let error)?):
                #expect(error.category == .invalidInput, "\(error)")
                if kind == .duplicate { #expect("\(error)".contains("duplicate"), "\(error)") }
            default:
                Issue.record("write \(i) (\(kind)): \(String(describing: results[i]))")
            }
            if kind != .valid {
                #expect(try store.testInt("SELECT COUNT(*) FROM fv_driver_stats_v1 WHERE avg_daily_trips = \(i)") == 0, "write \(i) left nothing")
            }
        }
        #expect(runIDs.count == valid.count, "each write is its own run")
        #expect(try store.runs(view: "driver_stats").map(\.rows) == Array(repeating: 2, count: valid.count))
        #expect(try store.rowCount(view: "driver_stats") == 2 * valid.count)
        #expect(store.cache.rowsLoaded.load(ordering: .relaxed) == loaded, "the cache took the rows from the writes, not from the engine")
        #expect(try store.integrityCheck() == "ok")
    }

    @Test(arguments: TestEngine.all)
    func aViewChangedByAnotherConnectionIsWrittenAtItsNewVersion(engine: TestEngine) throws {
        let location = try engine.newStore(in: dir, file: "v.db")
        let store = try engine.open(location)
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        #expect(try store.write(view: "driver_stats", rows: Self.rows(1, .valid)).version == 1)
        // Another connection makes version 2: this store's write connection has not seen it yet.
        let other = try engine.open(location)
        let v2 = exampleDefinitions.replacingOccurrences(of: "- {name: city, type: string}",
                                                         with: "- {name: city, type: string}\n      - {name: extra, type: int64}")
        try other.apply(try Definitions.parse(yaml: v2, file: "defs.yaml"))
        var options = IngestOptions()
        options.allowMissingFeatures = true
        let result = try store.write(view: "driver_stats", rows: Self.rows(2, .valid), options: options)
        #expect(result.version == 2, "prepared for version 1, found stale under the lock, written alone at version 2")
        #expect(store.commits.runs.load(ordering: .relaxed) == 1, "only the first write went through the queue")
        #expect(try store.rowCount(view: "driver_stats", version: 2) == 2)
    }

    @Test(arguments: TestEngine.all)
    func aWriteAloneIsStillCommittedThroughTheQueue(engine: TestEngine) throws {
        let location = try engine.newStore(in: dir, file: "one.db")
        let store = try engine.open(location)
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        let result = try store.write(view: "driver_stats", rows: Self.rows(1, .valid))
        #expect(result.runID == 1 && result.rowsWritten == 2)
        #expect(store.commits.transactions.load(ordering: .relaxed) == 1 && store.commits.runs.load(ordering: .relaxed) == 1)
        #expect(store.commits.count == 0)
    }
}
