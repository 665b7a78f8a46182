import Foundation
import Testing
@testable import Larder

/// A run sorted as a whole through spilled scratch files (``RunSorter``)
/// writes what a run written batch by batch writes, and leaves no file
/// behind, on both engines (``TestEngine``).
@Suite struct SortedBackfillTests {
    let dir = TemporaryDirectory()

    /// Options that stream 300 rows, then spill parts of 256 rows, in batches of 100.
    var spilling: IngestOptions {
        var options = IngestOptions()
        options.batchRows = 100
        options.streamedRows = 300
        options.sortPartRows = 256
        options.scratchParent = dir.file("scratch")
        return options
    }

    /// `rows` rows in a shuffled order, with nulls, a created time, and `edit` applied to each line.
    func input(rows: Int, edit: (Int, [String]) -> [String] = { $1 }) throws -> String {
        var lines = ["driver_id,event_timestamp,created_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        var generator = SplitMix64(seed: 7)
        var order = Array(0..<rows)
        order.shuffle(using: &generator)
        for (position, i) in order.enumerated() {
            let fields = ["\(i % 97)", "2026-11-\(10 + i % 13)T10:\(String(format: "%02d", i % 60)):00Z", "2026-12-01T00:00:\(String(format: "%02d", i / 97 % 60))Z",
                          "0.\(i % 10)", i % 5 == 0 ? "" : "\(Double(i) / 3)", "\(i)", i % 7 == 0 ? "" : "c\(i % 11)"]
            lines.append(edit(position, fields).joined(separator: ","))
        }
        return try dir.write("in-\(rows).csv", lines.joined(separator: "\n") + "\n")
    }

    func store(_ engine: TestEngine, _ name: String, _ keys: KeyKind = .int64) throws -> FeatureStore {
        let s = try engine.open(try engine.newStore(in: dir, file: name))
        try s.apply(try Definitions.parse(yaml: keys.definitions, file: "defs.yaml"))
        return s
    }

    /// The join keys of `driver_stats` in a test: the example's one
    /// `int64`, one `string`, or an `int64` and a `string`.
    enum KeyKind: CaseIterable, Sendable {
        case int64, string, composite

        /// The example definitions with these keys.
        var definitions: String {
            let keys = switch self {
            case .int64: "[{name: driver_id, type: int64}]"
            case .string: "[{name: driver_id, type: string}]"
            case .composite: "[{name: driver_id, type: int64}, {name: region, type: string}]"
            }
            return exampleDefinitions.replacingOccurrences(of: "[{name: driver_id, type: int64}]", with: keys)
        }

        /// The key columns' names, as a CSV header starts.
        var header: String { self == .composite ? "driver_id,region" : "driver_id" }

        /// The key fields of the `n`th distinct key (`n` < 1,000): distinct
        /// for distinct `n`, and for strings of several lengths, so that
        /// byte order differs from numeric order.
        func fields(_ n: Int) -> [String] {
            switch self {
            case .int64: ["\(1_000 + n)"]
            case .string: ["k\(n)"]
            case .composite: ["\(1_000 + n % 7)", "r\(n / 7)"]
            }
        }
    }

    func exported(_ s: FeatureStore, _ name: String) throws -> String {
        try s.export(view: "driver_stats", format: .csv, to: .file(dir.file(name)))
        return try String(contentsOfFile: dir.file(name), encoding: .utf8)
    }

    /// Backfills `path` into a new store `name` with `options` in skip mode
    /// (bad rows to `name-rejects.jsonl`): the store, the result and the reject file's lines.
    func backfillSkipping(_ engine: TestEngine, _ path: String, _ options: IngestOptions,
                          _ name: String, _ keys: KeyKind = .int64) throws -> (FeatureStore, IngestResult, [Substring]) {
        var options = options
        options.onError = .skip
        options.rejectFile = .file(dir.file("\(name)-rejects.jsonl"))
        let s = try store(engine, "\(name).db", keys)
        let result = try s.backfill(view: "driver_stats", input: .file(path), options: options)
        let rejects = try String(contentsOfFile: dir.file("\(name)-rejects.jsonl"), encoding: .utf8).split(separator: "\n")
        return (s, result, rejects)
    }

    /// A batch of `view` with one row per driver of `drivers` (lines from
    /// `firstLine` on), all at event time 1,000 and created time 2,000,
    /// every feature null.
    static func batch(_ view: FeatureView, _ drivers: [Int64], firstLine: Int) -> WriteBatch {
        var batch = WriteBatch(view: view)
        for (i, driver) in drivers.enumerated() {
            batch.keys[0].append(driver)
            batch.eventTimes.append(1_000)
            batch.createdTimes.append(2_000)
            batch.lines.append(firstLine + i)
            for f in batch.features.indices { batch.features[f].appendNull() }
        }
        return batch
    }

    /// The scratch folders left in `options.scratchParent`.
    func leftovers() throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir.file("scratch"), withIntermediateDirectories: true)
        return try FileManager.default.contentsOfDirectory(atPath: dir.file("scratch"))
    }

    @Test(arguments: TestEngine.all)
    func aSpilledMergedRunWritesWhatAStreamedRunWrites(engine: TestEngine) throws {
        _ = try leftovers()
        let path = try input(rows: 2_000)
        let streamed = try store(engine, "a.db"), sorted = try store(engine, "b.db")
        let a = try streamed.backfill(view: "driver_stats", input: .file(path))
        let b = try sorted.backfill(view: "driver_stats", input: .file(path), options: spilling)
        #expect(a.rowsWritten == 2_000 && b.rowsWritten == 2_000)
        #expect(a.contentSHA256 == b.contentSHA256)
        #expect(try exported(streamed, "a.csv") == exported(sorted, "b.csv"))
        #expect(try leftovers() == [])
    }

    @Test func theSorterSpillsPartsAndRemovesThemWhenDone() throws {
        let definition = try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml").featureViews[0]
        let view = FeatureView(id: 1, version: 1, definition: definition, joinKeys: [JoinKey(name: "driver_id", type: .int64)], createdAt: 0)
        let sorter = RunSorter(view: view, partRows: 64, keepsRaw: false, scratchParent: dir.path)
        for chunk in stride(from: 0, to: 200, by: 50) {
            var batch = WriteBatch(view: view)
            batch.keys[0] = Column(type: .int64)
            for i in chunk..<(chunk + 50) {
                batch.keys[0].append(Int64((i * 37) % 200))
                batch.eventTimes.append(0)
                batch.createdTimes.append(0)
                batch.lines.append(i + 2)
                for f in batch.features.indices { batch.features[f].appendNull() }
            }
            try sorter.add(batch, raw: nil)
        }
        let folder = try #require(sorter.scratchPath)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == [ScratchFolder.ownerFile, "part-0", "part-1"])
        var merged: [Int64] = []
        try sorter.finish(batchRows: 50) { out, _ in
            merged += out.keys[0].ints
            return true
        }
        #expect(merged == (0..<200).map(Int64.init))
        #expect(!FileManager.default.fileExists(atPath: folder))
    }

    @Test(arguments: TestEngine.all)
    func aLateValidationErrorWritesNothingAndLeavesNoScratchFile(engine: TestEngine) throws {
        _ = try leftovers()
        let path = try input(rows: 1_500) { position, fields in
            position == 1_400 ? fields.enumerated().map { $0.offset == 3 ? "1.5" : $0.element } : fields
        }
        let s = try store(engine, "c.db")
        #expect {
            try s.backfill(view: "driver_stats", input: .file(path), options: spilling)
        } throws: { error in
            "\(error)".contains("in-1500.csv:1402: column conv_rate: value \"1.5\": above max 1")
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        #expect(try s.runs(view: "driver_stats").isEmpty)
        #expect(try leftovers() == [])
    }

    @Test(arguments: TestEngine.all)
    func skipModeRejectsBadAndDuplicateRowsOfTheSortedPart(engine: TestEngine) throws {
        _ = try leftovers()
        // Line 1002 (position 1000) is bad; line 1202 repeats line 1102's key and times.
        var kept: [String] = []
        let path = try input(rows: 1_500) { position, fields in
            if position == 1_100 { kept = fields }
            if position == 1_200 { return kept }
            return position == 1_000 ? fields.enumerated().map { $0.offset == 5 ? "many" : $0.element } : fields
        }
        let (_, result, rejects) = try backfillSkipping(engine, path, spilling, "d")
        #expect(result.rowsWritten == 1_498 && result.rowsRejected == 2)
        #expect(rejects.count == 2)
        #expect(rejects.contains { $0.hasPrefix("{\"line\":1002,") && $0.contains("not an int64") })
        #expect(rejects.contains { $0.contains("duplicate") && $0.contains(kept.joined(separator: ",")) })
        #expect(try leftovers() == [])
    }

    /// Random runs full of duplicates (300 copies of the key and times of
    /// 1,200 distinct rows, each with values of its own, shuffled through
    /// the file), streamed, then spilled and merged, in skip mode: every
    /// key is stored once, with the values of one of its rows, and every
    /// other row of it is reported by line as a duplicate, whether the
    /// writer finds it row by row or before a statement of many rows
    /// (the ordered batches), for every kind of key.
    @Test(arguments: TestEngine.all, [(KeyKind.int64, UInt64(1)), (.int64, 2), (.int64, 3), (.string, 4), (.string, 5), (.composite, 6), (.composite, 7)])
    func everyDuplicateOfASpilledRunIsReportedAndOneRowOfEachKeyKept(engine: TestEngine, case: (keys: KeyKind, seed: UInt64)) throws {
        let (keys, seed) = `case`
        _ = try leftovers()
        var generator = SplitMix64(seed: seed)
        // Distinct keys and times for i < 2,743 (211 keys × 13 days); the trips identify the line.
        var rows: [[String]] = (0..<1_200).map { i in
            keys.fields(i % 211) + ["2026-11-\(10 + i % 13)T\(String(format: "%02d", i / 13 % 24)):00:00Z", "2026-12-01T00:00:00Z",
                                    "0.\(i % 10)", "\(i)", "\(i)", "c\(i)"]
        }
        let primaryKey = keys.fields(0).count + 2, trips = primaryKey + 2
        for copy in 0..<300 {
            var row = rows[Int.random(in: 0..<1_200, using: &generator)]
            row[trips] = "\(100_000 + copy)"
            row[trips + 1] = "d\(copy)"
            rows.append(row)
        }
        rows.shuffle(using: &generator)
        let path = try dir.write("dups-\(seed).csv", (["\(keys.header),event_timestamp,created_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
            + rows.map { $0.joined(separator: ",") }).joined(separator: "\n") + "\n")
        let (s, result, rejects) = try backfillSkipping(engine, path, spilling, "dups-\(seed)", keys)
        #expect(result.rowsWritten == 1_200 && result.rowsRejected == 300)
        // The lines of each key (line = position + 2), and the line each stored row came from (by its trips).
        var linesOfKey: [String: [Int]] = [:], lineOfTrips: [String: Int] = [:]
        for (position, row) in rows.enumerated() {
            linesOfKey[row[..<primaryKey].joined(separator: ","), default: []].append(position + 2)
            lineOfTrips[row[trips]] = position + 2
        }
        let exported = try self.exported(s, "dups-\(seed)-export.csv").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let exportedTrips = try #require(exported.first?.firstIndex(of: "avg_daily_trips"))
        let kept = exported.dropFirst().map { lineOfTrips[String($0[exportedTrips])] ?? -1 }
        #expect(kept.count == 1_200 && Set(kept).count == 1_200)
        let expectedRejected = Set(linesOfKey.values.flatMap { lines in lines.filter { !kept.contains($0) } })
        let rejected = Set(rejects.compactMap { line -> Int? in
            guard line.contains("duplicate"), let range = line.range(of: #"^\{"line":(\d+),"#, options: .regularExpression) else { return nil }
            return Int(line[range].dropFirst(8).dropLast())
        })
        #expect(expectedRejected.count == 300 && rejected == expectedRejected)
        #expect(linesOfKey.values.allSatisfy { lines in lines.filter { kept.contains($0) }.count == 1 })
        #expect(try leftovers() == [])
    }

    /// A row that repeats the last row of the batch before it (batches of
    /// two, streamed in file order): the writer finds it only when the
    /// second batch meets the stored first one (on PostgreSQL, the insert
    /// fails on the primary key and the batch is written again without
    /// it). It is reported as a duplicate and every other row is kept.
    @Test(arguments: TestEngine.all)
    func aDuplicateOfTheBatchBeforeIsReportedAndTheOthersKept(engine: TestEngine) throws {
        let path = dir.file("repeat.csv")
        try """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            1001,2026-11-20T10:00:00Z,0.1,0.5,1,a
            1001,2026-11-20T11:00:00Z,0.2,0.5,2,b
            1001,2026-11-20T11:00:00Z,0.3,0.5,3,c
            1002,2026-11-20T10:00:00Z,0.4,0.5,4,d

            """.write(toFile: path, atomically: true, encoding: .utf8)
        var options = IngestOptions()
        options.batchRows = 2
        let (s, result, rejects) = try backfillSkipping(engine, path, options, "r")
        #expect(result.rowsWritten == 3 && result.rowsRejected == 1)
        #expect(rejects.count == 1 && rejects.allSatisfy { $0.hasPrefix("{\"line\":4,") && $0.contains("duplicate") }, "\(rejects)")
        #expect(try s.rowCount(view: "driver_stats") == 3)
        let exported = try self.exported(s, "repeat-export.csv")
        // Whole fields: the run's created time (`…:50.388987Z`) may hold "0.3".
        #expect(exported.contains(",0.2,") && !exported.contains(",0.3,") && exported.contains(",0.4,"), "\(exported)")
    }

    /// Duplicates of earlier batches in stop mode (batches of two, streamed
    /// in file order), where the PostgreSQL writer sends a batch before it
    /// learns how the one before went: line 4 repeats line 3 of the first
    /// batch and is learned while the third batch is on its way; line 7
    /// repeats line 5 of the second batch and is learned only when the last
    /// batch settles. Both are reported, each with its line and key (never
    /// the error of a statement aborted after the failed insert), and
    /// nothing of the run is committed: from a file (the pipeline's writer
    /// thread) and from memory (a run prepared for group commit). Both
    /// engines word them alike (``ValidationProblem/duplicate(_:of:in:file:)``).
    @Test(arguments: TestEngine.all, [false, true])
    func aDuplicateLearnedWhileTheNextBatchIsOnItsWayIsReportedAndNothingKept(engine: TestEngine, inMemory: Bool) throws {
        let text = """
            driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city
            1001,2026-11-20T10:00:00Z,0.1,0.5,1,a
            1001,2026-11-20T11:00:00Z,0.2,0.5,2,b
            1001,2026-11-20T11:00:00Z,0.3,0.5,3,c
            1002,2026-11-20T10:00:00Z,0.4,0.5,4,d
            1003,2026-11-20T10:00:00Z,0.5,0.5,5,e
            1002,2026-11-20T10:00:00Z,0.6,0.5,6,f

            """
        let path = dir.file("late.csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        var options = IngestOptions()
        options.batchRows = 2
        let s = try store(engine, "late.db")
        let input: Source = inMemory ? .memory(name: "late.csv", bytes: Array(text.utf8)) : .file(path)
        #expect {
            try s.backfill(view: "driver_stats", input: input, options: options)
        } throws: { error in
            guard let error = error as? LarderError, error.category == .invalidInput, error.totalProblems == 2 else { return false }
            let reported = error.problems.map(\.description), duplicate = "duplicate (key, event_timestamp, created_timestamp) = "
            return reported.count == 2
                && reported[0].hasPrefix("\(inMemory ? "late.csv" : path):4: column driver_id: value \"1001\": \(duplicate)(1001, ")
                && reported[1].hasPrefix("\(inMemory ? "late.csv" : path):7: column driver_id: value \"1002\": \(duplicate)(1002, ")
                && reported.allSatisfy { $0.contains(", 2026-11-20T") && $0.hasSuffix(") within this run") }
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
        #expect(try s.runs(view: "driver_stats").isEmpty)
    }

    /// The run writer itself, batches of two rows of drivers 1 and 2 (lines
    /// 2–3), 2 and 3 (lines 4–5), 3 and 4 (lines 6–7), line 4 repeating
    /// line 3 and line 6 repeating line 5: a writer that is not pipelined
    /// (SQLite's always) reports each in its own batch's log with the row
    /// marked; PostgreSQL's pipelined writer learns each one call late,
    /// the last by `settle`, with no row marked. Either way `rowsWritten`
    /// is exact once settled.
    @Test(arguments: TestEngine.all, [false, true])
    func aPipelinedWriterLearnsADuplicateOfAnEarlierBatchOneCallLate(engine: TestEngine, pipelined: Bool) throws {
        let s = try store(engine, "pipelined.db")
        try s.withState { state in
            let view = try state.registry.view("driver_stats", version: nil)
            try state.session.writingRun { () throws -> TransactionEnd<Void> in
                let writer = try state.session.beginRun(of: view, source: "p.csv", startedAt: 0, pipelined: pipelined)
                var logs: [ProblemLog] = []
                for (drivers, line) in [([1, 2], 2), ([2, 3], 4), ([3, 4], 6)] as [([Int64], Int)] {
                    var log = ProblemLog()
                    log.startBatch(rows: drivers.count)
                    try writer.write(Self.batch(view, drivers, firstLine: line), log: &log, file: "p.csv")
                    logs.append(log)
                }
                var end = ProblemLog()
                try writer.settle(log: &end, file: "p.csv")
                logs.append(end)
                let late = engine == .postgres && pipelined
                // Each duplicate is row 0 of its batch.
                #expect(logs.map(\.total) == (late ? [0, 0, 1, 1] : [0, 1, 1, 0]))
                #expect(logs.map { $0.badRows.count > 0 && $0.badRows[0] } == (late ? [false, false, false, false] : [false, true, true, false]))
                #expect(logs.flatMap { $0.problems.map(\.line) } == [4, 6])
                #expect(writer.rowsWritten == 4)
                return .rollback(())
            }
        }
    }

    /// SQLite's writer finds the duplicates of an ordered batch itself: a
    /// row equal to one written one by one before (driver 4) or to the
    /// ordered row before it (driver 6, across two batches) is logged with
    /// its row marked, the others inserted; an ordered batch whose rows do
    /// not follow the earlier ones breaks the promise and fails the run.
    @Test func anOrderedBatchIsCheckedAgainstEveryRowWrittenBefore() throws {
        let s = try store(.sqlite, "ordered.db")
        try s.withState { state in
            let view = try state.registry.view("driver_stats", version: nil)
            try state.session.writingRun { () throws -> TransactionEnd<Void> in
                let writer = try state.session.beginRun(of: view, source: "o.csv", startedAt: 0, pipelined: false)
                var logs: [ProblemLog] = []
                for (drivers, line, ordered) in [([9, 4, 1], 2, false), (Array(2...6), 5, true), (Array(6...40), 10, true)] as [([Int64], Int, Bool)] {
                    var log = ProblemLog()
                    log.startBatch(rows: drivers.count)
                    try writer.write(Self.batch(view, drivers, firstLine: line), ordered: ordered, log: &log, file: "o.csv")
                    logs.append(log)
                }
                #expect(logs.map(\.total) == [0, 1, 2])
                #expect(logs.flatMap { $0.problems.map(\.line) } == [7, 10, 13])
                #expect(logs[1].badRows[2] && logs[2].badRows[0] && logs[2].badRows[3])
                #expect(writer.rowsWritten == 3 + 4 + 33)
                var late = ProblemLog()
                late.startBatch(rows: 1)
                #expect(throws: LarderError.self) { try writer.write(Self.batch(view, [5], firstLine: 50), ordered: true, log: &late, file: "o.csv") }
                return .rollback(())
            }
        }
    }

    /// The keys kept of rows written as they came go to a scratch file in
    /// blocks of `OrderedDuplicates.spillRows` instead of staying in memory
    /// (a run that streams all its rows never reads them back), or stay in
    /// memory when no scratch folder can be made; either way an ordered
    /// row repeating one of them, spilled or not, is found.
    @Test(arguments: [KeyKind.int64, .string, .composite], [true, false])
    func keysOfStreamedRowsWaitInAScratchFile(kind: KeyKind, canSpill: Bool) throws {
        let definition = try Definitions.parse(yaml: kind.definitions, file: "defs.yaml").featureViews[0]
        let keys = kind == .composite ? [JoinKey(name: "driver_id", type: .int64), JoinKey(name: "region", type: .string)]
            : [JoinKey(name: "driver_id", type: kind == .int64 ? .int64 : .string)]
        let view = FeatureView(id: 1, version: 1, definition: definition, joinKeys: keys, createdAt: 0)
        /// Rows `(n, event)`, `n` the key's number (the same key for the same `n`).
        func batch(_ rows: [(Int, Int64)]) -> WriteBatch {
            var batch = WriteBatch(view: view)
            for (i, (n, event)) in rows.enumerated() {
                switch kind {
                case .int64: batch.keys[0].append(Int64(n))
                case .string: batch.keys[0].append("k\(String(n, radix: 16))")
                case .composite:
                    batch.keys[0].append(Int64(n % 7))
                    batch.keys[1].append("r\(n / 7)")
                }
                batch.eventTimes.append(event)
                batch.createdTimes.append(0)
                batch.lines.append(i + 2)
                for f in batch.features.indices { batch.features[f].appendNull() }
            }
            return batch
        }
        let spill = OrderedDuplicates.spillRows, count = 2 * spill + 100
        let unordered = batch((0..<count).reversed().map { ($0, Int64($0)) })
        let parent = canSpill ? dir.path : dir.file("missing")
        var duplicates = OrderedDuplicates(view: view, scratchParent: parent)
        for row in 0..<unordered.count { duplicates.wroteUnordered(row, of: unordered) }
        #expect(duplicates.spilledRows == (canSpill ? 2 * spill : 0))
        if kind == .int64 { #expect(duplicates.unordered.count == (canSpill ? 100 : count)) }
        func spillFolders() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []).filter { $0.hasPrefix("larder-spill-") }
        }
        #expect(spillFolders().count == (canSpill ? 1 : 0))

        // Each ordered row once as written before (spilled first, spilled last, held), once not.
        let probes = [0, 1, spill + 5, count - 1].flatMap { [($0, Int64($0)), ($0, Int64($0) + 1)] }
        let ordered = batch(probes)
        let order = ordered.primaryKeyOrder()
        let sorted = ordered.gathered(order)
        try duplicates.startOrderedBatch(sorted)
        #expect(duplicates.spilledRows == 0 && spillFolders() == [], "read back")
        let found = try (0..<sorted.count).map { try duplicates.repeatsEarlierRow($0, of: sorted, file: "o.csv") }
        #expect(found == order.map { $0 % 2 == 0 })
    }

    /// ``WriteBatch/reorder(_:)``, which the sorting thread applies in
    /// place, puts every column of every type (nulls included) in the
    /// order given and drops the rows not in it, as the copy
    /// ``WriteBatch/gathered(_:)`` does, and leaves another holder of the
    /// batch's columns with the old order.
    @Test func aBatchReorderedInPlaceHoldsTheRowsInTheOrderGiven() throws {
        let definition = try Definitions.parse(yaml: everyTypeDefinitions(), file: "defs.yaml").featureViews[0]
        let view = FeatureView(id: 1, version: 1, definition: definition,
                               joinKeys: [JoinKey(name: "id", type: .int64), JoinKey(name: "code", type: .string)], createdAt: 0)
        var random = SystemRandomNumberGenerator()
        var batch = WriteBatch(view: view)
        let count = 300
        for row in 0..<count {
            batch.keys[0].append(Int64.random(in: 0..<50, using: &random))
            batch.keys[1].append(String(repeating: "k", count: Int.random(in: 0..<4, using: &random)))
            batch.eventTimes.append(Int64(row) * 7)
            batch.createdTimes.append(Int64(row) * 3)
            batch.lines.append(row + 2)
            for f in batch.features.indices {
                if Int.random(in: 0..<5, using: &random) == 0 {
                    batch.features[f].appendNull()
                    continue
                }
                let v = Int64.random(in: -1_000...1_000, using: &random)
                switch batch.features[f].type {
                case .int64: batch.features[f].append(v)
                case .float64: batch.features[f].append(Double(v) / 8)
                case .bool: batch.features[f].append(v % 2 == 0)
                case .string: batch.features[f].append("s\(v)")
                case .bytes: [UInt8](repeating: UInt8(v & 0xff), count: Int(v & 3)).withUnsafeBytes { batch.features[f].append(bytes: $0) }
                case .timestamp: batch.features[f].append(Timestamp(microseconds: v))
                case .vector: batch.features[f].append(vector: [Float(v), Float(-v), 0.5])
                }
            }
        }
        let order = Array(batch.primaryKeyOrder().filter { $0 % 3 != 1 }.reversed())
        let original = batch
        batch.reorder(order)
        #expect(batch.count == order.count)
        for (new, old) in order.enumerated() {
            for k in batch.keys.indices { #expect(batch.keys[k].value(new) == original.keys[k].value(old)) }
            for f in batch.features.indices { #expect(batch.features[f].value(new) == original.features[f].value(old)) }
            #expect(batch.eventTimes[new] == original.eventTimes[old])
            #expect(batch.createdTimes[new] == original.createdTimes[old])
            #expect(batch.lines[new] == original.lines[old])
        }
        #expect(original.lines == Array(2..<(count + 2)), "the other holder keeps its order")
        let copy = original.gathered(order)
        #expect(copy.lines == batch.lines)
        for f in batch.features.indices { #expect((0..<order.count).allSatisfy { copy.features[f].value($0) == batch.features[f].value($0) }) }
    }

    /// ``OrderedDuplicates`` on a composite key (`int64`, `string`, byte
    /// order: "b" < "b2" < "c"): an ordered row equal to one written one by
    /// one before it, or to the ordered row before it (also across
    /// batches), repeats; the others do not; a row before the last ordered
    /// one breaks the promise of order.
    @Test func orderedRowsOfACompositeKeyAreCheckedAgainstEveryRowWrittenBefore() throws {
        let definition = try Definitions.parse(yaml: KeyKind.composite.definitions, file: "defs.yaml").featureViews[0]
        let view = FeatureView(id: 1, version: 1, definition: definition,
                               joinKeys: [JoinKey(name: "driver_id", type: .int64), JoinKey(name: "region", type: .string)], createdAt: 0)
        func batch(_ rows: [(Int64, String, Int64)]) -> WriteBatch {
            var batch = WriteBatch(view: view)
            for (i, (driver, region, event)) in rows.enumerated() {
                batch.keys[0].append(driver)
                batch.keys[1].append(region)
                batch.eventTimes.append(event)
                batch.createdTimes.append(0)
                batch.lines.append(i + 2)
                for f in batch.features.indices { batch.features[f].appendNull() }
            }
            return batch
        }
        var duplicates = OrderedDuplicates(view: view)
        let unordered = batch([(2, "c", 1), (1, "b2", 1), (1, "b", 5)])
        for row in 0..<unordered.count { duplicates.wroteUnordered(row, of: unordered) }
        let first = batch([(1, "b", 1), (1, "b", 5), (1, "b2", 1), (1, "b2", 2), (1, "b2", 2)])
        try duplicates.startOrderedBatch(first)
        #expect(try (0..<first.count).map { try duplicates.repeatsEarlierRow($0, of: first, file: "o.csv") } == [false, true, true, false, true])
        let second = batch([(1, "b2", 2), (1, "c", 0), (2, "c", 1), (2, "c", 2)])
        try duplicates.startOrderedBatch(second)
        #expect(try (0..<second.count).map { try duplicates.repeatsEarlierRow($0, of: second, file: "o.csv") } == [true, false, true, false])
        let late = batch([(2, "b", 9)])
        try duplicates.startOrderedBatch(late)
        #expect(throws: LarderError.self) { try duplicates.repeatsEarlierRow(0, of: late, file: "o.csv") }
    }

    /// A run is pipelined only in stop mode, where any problem refuses it;
    /// in skip mode each batch's written rows must be known before the next.
    @Test func onlyAStopModeRunIsPipelined() throws {
        let definition = try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml").featureViews[0]
        let view = FeatureView(id: 1, version: 1, definition: definition, joinKeys: [JoinKey(name: "driver_id", type: .int64)], createdAt: 0)
        var options = IngestOptions()
        let source = FileSource(source: .memory(name: "m.csv", bytes: []))
        #expect(IngestPipeline(view: view, source: source, options: options, progress: nil).pipelinesWrites)
        options.onError = .skip
        #expect(!IngestPipeline(view: view, source: source, options: options, progress: nil).pipelinesWrites)
    }
}
