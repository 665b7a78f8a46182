import Foundation
import Synchronization
import Testing
import LarderTestSupport
@testable import Larder

/// The cache's snapshot files (`STORE.cache/VIEW@N-RUN.snap`): written once,
/// mapped by every later store, and never trusted over the store itself.
@Suite struct SnapshotFileTests {
    static let yaml = """
        entities: [{name: thing, join_keys: [{name: id, type: int64}]}]
        feature_views: [{name: v, entity: thing, ttl: 0, features: [{name: x, type: int64}, {name: s, type: string}]}]
        """
    static let features = [FeatureReference(view: "v", feature: nil)]

    /// A store with `runs` runs of 300 rows over keys 0…99.
    static func makeStore(_ directory: TemporaryDirectory, runs: Int = 2, seed: UInt64 = 1) throws -> FeatureStore {
        let store = try FeatureStore(path: directory.file("s.db"))
        try store.apply(Definitions.parse(yaml: yaml, file: "s.yaml"))
        var random = SplitMix64(seed: seed)
        for run in 0..<runs { try store.write(view: "v", rows: rows(run: run, random: &random)) }
        return store
    }

    static func rows(run: Int, count: Int = 300, random: inout SplitMix64) -> [[String: FeatureValue]] {
        var seen = Set<[Int64]>()
        return (0..<count).compactMap { _ in
            let id = Int64.random(in: 0..<100, using: &random), event = Int64.random(in: 0..<1000, using: &random)
            guard seen.insert([id, event]).inserted else { return nil }
            return ["id": .int64(id), "event_timestamp": .timestamp(Timestamp(microseconds: event)),
                    "x": .int64(Int64(run * 10_000) + event), "s": .string("r\(run)-\(event)")]
        }
    }

    /// What a store answers: online features of keys 0…104 and a training
    /// set at three times per key.
    static func answers(_ store: FeatureStore) throws -> [[FeatureValue]] {
        let keys = (0..<105).map { FeatureValue.int64(Int64($0)) }
        let online = try store.onlineFeatures(entities: FeatureFrame(names: ["id"], columns: [try testColumn(.int64, keys)]),
                                              features: features)
        let spine = try testSpine(keys: (0..<315).map { Int64($0 / 3) }, times: (0..<315).map { Int64($0 % 3) * 400 })
        let historical = try store.historicalFeatures(spine: spine, features: features)
        return [testValues(online.values[0]), testValues(online.values[1]), testValues(historical["x"]!), testValues(historical["s"]!),
                online.statuses[0].map { .string("\($0)") }]
    }

    /// The answers of the store at `path` read from SQLite only.
    static func truth(_ path: String) throws -> [[FeatureValue]] {
        try answers(FeatureStore(path: path, options: .init(cacheBytes: 0)))
    }

    static func snapshotFiles(_ store: FeatureStore) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store.snapshotFolder)) ?? []).filter { $0.hasSuffix(".snap") }
    }

    @Test func aSnapshotWrittenByOneStoreIsMappedByAnother() throws {
        let directory = TemporaryDirectory()
        let first = try Self.makeStore(directory)
        let expected = try Self.answers(first)
        #expect(Self.snapshotFiles(first) == ["v@1-2.snap"])
        #expect(first.cache.rowsLoaded.load(ordering: .relaxed) > 0)

        let second = try FeatureStore(path: directory.file("s.db"))
        #expect(try Self.answers(second) == expected)
        #expect(second.cache.rowsLoaded.load(ordering: .relaxed) == 0, "mapped, not read from the store")
        let entry = try #require(try second.cacheStatistics().first)
        let rows = try first.rowCount(view: "v")
        #expect(entry.mapped && entry.deltaRows == 0 && entry.rows == rows)
        #expect(try second.verifySnapshotFiles().map(\.problem) == [nil])

        // A run committed after the snapshot is read as a delta: only its rows.
        var random = SplitMix64(seed: 9)
        try first.write(view: "v", rows: Self.rows(run: 7, count: 20, random: &random))
        let third = try FeatureStore(path: directory.file("s.db"))
        #expect(try Self.answers(third) == (try Self.truth(directory.file("s.db"))))
        let delta = try #require(try third.cacheStatistics().first)
        #expect(delta.mapped && delta.deltaRows == 20)
        #expect(third.cache.rowsLoaded.load(ordering: .relaxed) == 20)
    }

    /// The words after `field` (`VmFlags:`, `Rss:`) of this process's
    /// mapping that starts at `address`, from `/proc/self/smaps`.
    static func mappingField(_ field: String, at address: UnsafeRawPointer) throws -> [Substring] {
        let start = String(UInt(bitPattern: address), radix: 16) + "-"
        let smaps = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps")).readDataToEndOfFile()
        let lines = String(decoding: smaps, as: UTF8.self).split(separator: "\n")
        let header = try #require(lines.firstIndex { $0.hasPrefix(start) })
        let line = try #require(lines[header...].first { $0.hasPrefix(field) })
        return line.split(separator: " ").dropFirst().map { $0 }
    }

    /// The `VmFlags` of this process's mapping that starts at `address` (`rr`: read page by page).
    static func mappingFlags(at address: UnsafeRawPointer) throws -> [Substring] {
        try mappingField("VmFlags:", at: address)
    }

    /// Checking a snapshot file's arrays (after every write, and `larder
    /// cache verify`) leaves none of its pages in the process's resident
    /// memory but the last: the whole file would otherwise be resident
    /// beside the rows it was just built from.
    @Test func checkingASnapshotFileLeavesItsPagesOutOfTheProcess() throws {
        #if os(Linux)
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory, runs: 4)
        _ = try Self.answers(store)
        let path = store.snapshotFolder + "/" + (try #require(Self.snapshotFiles(store).first))
        let region = try #require(Region.map(path: path))
        region.advise(.scans)
        func residentKB() throws -> Int { Int(try Self.mappingField("Rss:", at: region.base).first ?? "") ?? -1 }
        #expect(region.byteCount > 16_384, "a file of several pages")
        #expect(SnapshotFiles.verifyArrays(region) == nil)
        #expect(try residentKB() <= 4, "of \(region.byteCount / 1024) KB")
        // Read again, the pages come back: only this process's mapping let go of them.
        #expect(SnapshotFiles.verifyArrays(region) == nil)
        #endif
    }

    @Test func aOneShotOnlineReadOfAMappedSnapshotReadsItPageByPage() throws {
        let directory = TemporaryDirectory()
        let first = try Self.makeStore(directory)
        let expected = try Self.answers(first)
        let store = try FeatureStore(path: directory.file("s.db"))
        let view = try store.registry.view("v")
        let keys = FeatureFrame(names: ["id"], columns: [try testColumn(.int64, [.int64(1)])])
        _ = try store.onlineFeatures(entities: keys, features: Self.features)
        let region = try #require(store.cache.contents.snapshot(of: view)?.base.region)
        #expect(region.isMapped)
        // Once while its header was checked, once for the read's lookups.
        #expect(region.pointReadAdvice.load(ordering: .relaxed) == 2)
        #if os(Linux)
        #expect(!(try Self.mappingFlags(at: region.base).contains("rr")), "advised for scans again")
        #endif
        _ = try store.onlineFeatures(entities: keys, features: Self.features)
        #expect(region.pointReadAdvice.load(ordering: .relaxed) == 2, "a view already cached is read as it is")
        #expect(try Self.answers(store) == expected)

        // Mapped for anything else (here a prepared reader): advised for scans once checked.
        let other = try FeatureStore(path: directory.file("s.db"))
        _ = try other.reader(features: Self.features)
        let scanned = try #require(other.cache.contents.snapshot(of: view)?.base.region)
        #expect(scanned.pointReadAdvice.load(ordering: .relaxed) == 1)
        #if os(Linux)
        #expect(!(try Self.mappingFlags(at: scanned.base).contains("rr")))
        let mapped = try #require(Region.map(path: "\(store.snapshotFolder)/\(Self.snapshotFiles(store)[0])"))
        #expect(try Self.mappingFlags(at: mapped.base).contains("rr"))
        mapped.advise(.scans)
        #expect(!(try Self.mappingFlags(at: mapped.base).contains("rr")))
        #endif
    }

    @Test func aOneShotOnlineReadLeavesALargeViewWithoutASnapshotFileToTheStore() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("s.db")
        _ = try Self.makeStore(directory)
        let truth = try Self.truth(path)
        let keys = FeatureFrame(names: ["id"], columns: [try testColumn(.int64, (0..<105).map { FeatureValue.int64(Int64($0)) })])
        func online(_ store: FeatureStore) throws -> [[FeatureValue]] {
            let result = try store.onlineFeatures(entities: keys, features: Self.features)
            return [testValues(result.values[0]), testValues(result.values[1]), result.statuses[0].map { .string("\($0)") }]
        }
        let messages = Mutex<[String]>([])
        var small = FeatureStore.Options()
        small.oneShotLoadRows = 100
        small.log = { message in messages.withLock { $0.append(message) } }

        // More rows than a one-shot read may read: answered from the store, nothing cached or written, said once.
        let store = try FeatureStore(path: path, options: small)
        #expect(try online(store) == [truth[0], truth[1], truth[4]])
        #expect(try online(store) == [truth[0], truth[1], truth[4]])
        let statistics = try store.cacheStatistics()
        #expect(store.cache.rowsLoaded.load(ordering: .relaxed) == 0 && statistics.isEmpty)
        #expect(Self.snapshotFiles(store).isEmpty)
        let rows = try store.rowCount(view: "v")
        #expect(messages.withLock { $0 } == ["v@1 answered from the store: no snapshot file, and its runs wrote \(rows) rows (`larder cache build` writes one)"])

        // A prepared reader reads it and writes the file; a one-shot read then maps the file, whatever the view's size.
        _ = try store.reader(features: Self.features)
        #expect(store.cache.rowsLoaded.load(ordering: .relaxed) > 0 && Self.snapshotFiles(store) == ["v@1-2.snap"])
        let later = try FeatureStore(path: path, options: small)
        #expect(try online(later) == [truth[0], truth[1], truth[4]])
        let mapped = try later.cacheStatistics().first?.mapped
        #expect(later.cache.rowsLoaded.load(ordering: .relaxed) == 0 && mapped == true)

        // Runs after the file with more rows than the limit: answered from the store, the file left as it is.
        var random = SplitMix64(seed: 5)
        let extra = Self.rows(run: 8, count: 150, random: &random)
        try FeatureStore(path: path).write(view: "v", rows: extra)
        let now = try Self.truth(path)
        let behind = try FeatureStore(path: path, options: small)
        #expect(try online(behind) == [now[0], now[1], now[4]])
        let behindStatistics = try behind.cacheStatistics()
        #expect(behind.cache.rowsLoaded.load(ordering: .relaxed) == 0 && behindStatistics.isEmpty)
        #expect(Self.snapshotFiles(behind) == ["v@1-2.snap"])
        #expect(messages.withLock { $0.last } == "v@1 answered from the store: its snapshot file lacks the \(extra.count) rows of later runs (`larder cache build` writes one)")

        // Within the limit, a one-shot read reads the view and writes the file itself.
        try later.removeSnapshotFiles()
        let roomy = try FeatureStore(path: path)
        #expect(try online(roomy) == [now[0], now[1], now[4]])
        #expect(roomy.cache.rowsLoaded.load(ordering: .relaxed) > 0 && Self.snapshotFiles(roomy) == ["v@1-3.snap"])
    }

    /// A store in `directory` whose deltas fold into a new base past 10 rows, with the test's view.
    static func compactingStore(in directory: TemporaryDirectory) throws -> FeatureStore {
        var options = FeatureStore.Options()
        options.compactionRows = 10
        let store = try FeatureStore(path: directory.file("s.db"), options: options)
        try store.apply(Definitions.parse(yaml: Self.yaml, file: "s.yaml"))
        return store
    }

    @Test func compactionInTheBackgroundKeepsEveryAnswer() throws {
        let directory = TemporaryDirectory()
        let store = try Self.compactingStore(in: directory)
        var random = SplitMix64(seed: 3)
        try store.write(view: "v", rows: Self.rows(run: 0, random: &random))
        let reader = try store.reader(features: Self.features)
        for run in 1...6 {
            // Each write makes the delta due; answers stay right while a compaction runs.
            try store.write(view: "v", rows: Self.rows(run: run, count: 120, random: &random))
            #expect(try Self.answers(store) == (try Self.truth(directory.file("s.db"))), "run \(run)")
            _ = try reader.read(key: 3)
        }
        var waited = 0
        while store.cache.isCompacting, waited < 2_000 {
            usleep(5_000)
            waited += 1
        }
        #expect(!store.cache.isCompacting)
        #expect(try Self.answers(store) == (try Self.truth(directory.file("s.db"))))
        let entry = try #require(try store.cacheStatistics().first)
        #expect(entry.mapped && entry.deltaRows < 120 * 6, "folded into new bases: \(entry)")
        #expect(Self.snapshotFiles(store).count == 1)
        #expect(try store.verifySnapshotFiles().map(\.problem) == [nil])
    }

    @Test func aWriteLeavesCompactionToTheBackground() throws {
        let directory = TemporaryDirectory()
        let store = try Self.compactingStore(in: directory)
        var random = SplitMix64(seed: 5)
        // 60 rows: 12 more are past the fold threshold (10 rows, and an eighth of the base).
        try store.write(view: "v", rows: Self.rows(run: 0, count: 60, random: &random))
        let reader = try store.reader(features: Self.features)
        let view = try store.registry.view("v")
        let base = try #require(store.cache.contents.snapshot(of: view)).base
        let loaded = store.cache.rowsLoaded.load(ordering: .relaxed)
        // Compactions wait: each write must be visible at once all the same, as a segment of its own.
        store.cache.compactionPaused.store(true, ordering: .releasing)
        for i in 0..<12 {
            try store.write(view: "v", rows: [["id": .int64(7), "event_timestamp": .timestamp(Timestamp(microseconds: 5_000 + Int64(i))),
                                               "x": .int64(-1 - Int64(i)), "s": .string("new \(i)")]])
            #expect(try reader.read(key: 7).int64(at: 0) == -1 - Int64(i), "write \(i) visible to the next read")
        }
        let segmented = try #require(store.cache.contents.snapshot(of: view))
        #expect(segmented.base === base && segmented.deltas.count == 12, "no write folded or merged segments")
        #expect(store.cache.folds.load(ordering: .relaxed) == 0 && store.cache.merges.load(ordering: .relaxed) == 0)
        #expect(store.cache.rowsLoaded.load(ordering: .relaxed) == loaded)
        #expect(try Self.answers(store) == (try Self.truth(directory.file("s.db"))))

        // Then the background folds the segments into a new base file, which another store maps.
        store.cache.compactionPaused.store(false, ordering: .releasing)
        store.cache.waitForCompactions()
        #expect(store.cache.folds.load(ordering: .relaxed) == 1)
        let compacted = try #require(store.cache.contents.snapshot(of: view))
        #expect(compacted.base !== base && compacted.base.isMapped && compacted.deltas.isEmpty && compacted.rowCount == segmented.rowCount)
        #expect(try Self.answers(store) == (try Self.truth(directory.file("s.db"))))
        #expect(Self.snapshotFiles(store) == ["v@1-13.snap"])
        let second = try FeatureStore(path: directory.file("s.db"))
        #expect(try second.reader(features: Self.features).read(key: 7).int64(at: 0) == -12)
        #expect(second.cache.rowsLoaded.load(ordering: .relaxed) == 0, "mapped, not read from the store")
        #expect(try second.cacheStatistics().first.map { $0.mapped && $0.deltaRows == 0 } == true)
    }

    @Test func aWriteReachesTheCacheWithoutARead() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        let reader = try store.reader(features: Self.features)
        let loaded = store.cache.rowsLoaded.load(ordering: .relaxed)
        for i in 0..<5 {
            try store.write(view: "v", rows: [["id": .int64(7), "event_timestamp": .timestamp(Timestamp(microseconds: 5_000 + Int64(i))),
                                               "x": .int64(-1 - Int64(i)), "s": .string("new \(i)")]])
            #expect(try reader.read(key: 7).int64(at: 0) == -1 - Int64(i))
        }
        #expect(store.cache.rowsLoaded.load(ordering: .relaxed) == loaded, "the written rows came from the write, not from SQLite")
        #expect(try Self.answers(store) == (try Self.truth(directory.file("s.db"))))
        #expect(try store.cacheStatistics().first?.deltaRows == 5)

        // A backfill read in several batches: their rows are put in key order across batches.
        var options = IngestOptions()
        options.batchRows = 37
        options.timeUnit = .us
        var random = SplitMix64(seed: 11)
        let rows = Self.rows(run: 9, count: 400, random: &random)
        var csv = "id,event_timestamp,x,s\n"
        for row in rows {
            guard case .int64(let id) = row["id"], case .timestamp(let event) = row["event_timestamp"],
                  case .int64(let x) = row["x"], case .string(let text) = row["s"] else { continue }
            csv += "\(id),\(event.microseconds),\(x),\(text)\n"
        }
        let input = try directory.write("batches.csv", csv)
        let result = try store.backfill(view: "v", input: .file(input), options: options)
        #expect(result.rowsWritten == rows.count)
        #expect(store.cache.rowsLoaded.load(ordering: .relaxed) == loaded)
        #expect(try Self.answers(store) == (try Self.truth(directory.file("s.db"))))
        #expect(try store.cacheStatistics().first?.deltaRows == 5 + rows.count)
    }

    /// Each kind of damage, done to the only snapshot file of a store.
    enum Damage: String, CaseIterable {
        case truncated, headerByteFlipped, emptyFile, foreignBytes, newerFormat, anotherViewVersion, restoredStore
    }

    @Test(arguments: Damage.allCases)
    func aDamagedOrStaleSnapshotNeverChangesAnAnswer(damage: Damage) throws {
        let directory = TemporaryDirectory()
        let path = directory.file("s.db")
        let backup = directory.file("backup.db")
        let store = try Self.makeStore(directory, runs: 1)
        try store.testWithDB { try $0.execute("VACUUM INTO '\(backup)'") }
        var random = SplitMix64(seed: 5)
        try store.write(view: "v", rows: Self.rows(run: 1, random: &random))
        _ = try Self.answers(store)
        let file = store.snapshotFolder + "/" + (try #require(Self.snapshotFiles(store).first))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        switch damage {
        case .truncated: bytes.removeLast(bytes.count / 3)
        case .headerByteFlipped: bytes[40] ^= 0x10
        case .emptyFile: bytes = []
        case .foreignBytes: bytes = Array("SQLite format 3\0 and then some more bytes than a header".utf8) + bytes.dropFirst(56)
        case .newerFormat: bytes[8] = 2
        case .anotherViewVersion, .restoredStore: break
        }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        if damage == .anotherViewVersion || damage == .restoredStore {
            // The same file name over another history: a new store whose
            // view was created again, or the store restored from a copy made
            // before the snapshot's last run, then written to again.
            for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
            if damage == .restoredStore { try FileManager.default.copyItem(atPath: backup, toPath: path) }
            let other = try FeatureStore(path: path, options: .init(snapshotFiles: false))
            if damage == .anotherViewVersion { try other.apply(Definitions.parse(yaml: Self.yaml, file: "s.yaml")) }
            try other.write(view: "v", rows: Self.rows(run: 4, random: &random))
            if damage == .anotherViewVersion { try other.write(view: "v", rows: Self.rows(run: 5, random: &random)) }
        }
        let messages = Mutex<[String]>([])
        let reopened = try FeatureStore(path: path, options: .init(log: { message in messages.withLock { $0.append(message) } }))
        #expect(try Self.answers(reopened) == (try Self.truth(path)), "\(damage)")
        let said = messages.withLock { $0 }
        #expect(said.contains { $0.contains("not used") && $0.contains(file) }, "\(damage): \(said)")
        #expect(said.contains { $0.contains("written") }, "\(damage): a sound snapshot replaces it: \(said)")
        #expect(try reopened.verifySnapshotFiles().map(\.problem) == [nil])
    }

    @Test func damageInsideTheArraysIsFoundByVerify() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        _ = try Self.answers(store)
        let file = store.snapshotFolder + "/" + (try #require(Self.snapshotFiles(store).first))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file)))
        bytes[bytes.count - 20] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let problems = try store.verifySnapshotFiles().compactMap(\.problem)
        #expect(problems.count == 1 && problems[0].contains("checksum"), "\(problems)")
        #expect(try store.removeSnapshotFiles() == 1)
        #expect(!FileManager.default.fileExists(atPath: store.snapshotFolder))
        #expect(try Self.answers(FeatureStore(path: directory.file("s.db"))) == (try Self.truth(directory.file("s.db"))))
    }

    @Test func aFolderThatCannotBeWrittenKeepsSnapshotsInMemory() throws {
        let directory = TemporaryDirectory()
        let store = try Self.makeStore(directory)
        // Not a folder at all: nothing can be written into it, whoever runs the test.
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: store.snapshotFolder))
        let messages = Mutex<[String]>([])
        let reopened = try FeatureStore(path: directory.file("s.db"), options: .init(log: { message in messages.withLock { $0.append(message) } }))
        #expect(try Self.answers(reopened) == (try Self.truth(directory.file("s.db"))))
        #expect(try reopened.cacheStatistics().first?.mapped == false)
        #expect(messages.withLock { $0 }.contains { $0.contains("kept in memory") })
    }
}
