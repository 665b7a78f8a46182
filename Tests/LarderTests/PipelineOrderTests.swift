import Foundation
import Synchronization
import Testing
@testable import Larder

/// The pipeline's threads (reader, typer, sorter, writer) hand batches on in
/// input order and lose none: a file of hundreds of tiny batches, some rows
/// bad, writes every good row and reports every bad one, by its line, in
/// line order.
@Suite struct PipelineOrderTests {
    let dir = TemporaryDirectory()

    /// Rows in the input.
    static let rows = 3_000

    /// Whether data row `i` (line `i + 2`) has a bad `avg_daily_trips`.
    static func isBad(_ i: Int) -> Bool { i % 17 == 5 }

    /// The lines of the bad rows, in order.
    static var badLines: [Int] { (0..<rows).filter(isBad).map { $0 + 2 } }

    /// A CSV of ``rows`` rows, driver `i` on line `i + 2`, the bad ones `many` trips.
    func input() throws -> String {
        var lines = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        for i in 0..<Self.rows {
            lines.append("\(i),2026-11-20T10:00:00Z,0.5,0.25,\(Self.isBad(i) ? "many" : String(i)),c\(i % 5)")
        }
        return try dir.write("order.csv", lines.joined(separator: "\n") + "\n")
    }

    /// Batches of 7 rows; with `sorted`, only the first 300 rows streamed,
    /// the rest sorted as a whole through spilled parts of 256 rows.
    func options(sorted: Bool) -> IngestOptions {
        var options = IngestOptions()
        options.batchRows = 7
        if sorted {
            options.streamedRows = 300
            options.sortPartRows = 256
            options.scratchParent = dir.path
        }
        return options
    }

    func store(_ name: String) throws -> FeatureStore {
        let s = try FeatureStore(path: dir.file(name))
        try s.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        return s
    }

    @Test(arguments: [false, true])
    func skipModeWritesEveryGoodRowAndRejectsEveryBadOneInLineOrder(sorted: Bool) throws {
        let path = try input()
        var options = options(sorted: sorted)
        options.onError = .skip
        options.rejectFile = .file(dir.file("rejects-\(sorted).jsonl"))
        let s = try store("skip-\(sorted).db")
        let result = try s.backfill(view: "driver_stats", input: .file(path), options: options)
        let rejects = try String(contentsOfFile: dir.file("rejects-\(sorted).jsonl"), encoding: .utf8).split(separator: "\n")
        let rejectedLines = rejects.map { line in Int(line.dropFirst("{\"line\":".count).prefix { $0.isNumber })! }
        #expect(rejectedLines == Self.badLines)
        #expect(result.rowsRejected == Self.badLines.count)
        #expect(result.rowsWritten == Self.rows - Self.badLines.count)
        try s.export(view: "driver_stats", format: .csv, to: .file(dir.file("export-\(sorted).csv")))
        let exported = try String(contentsOfFile: dir.file("export-\(sorted).csv"), encoding: .utf8).split(separator: "\n")
        let columns = exported[0].split(separator: ",")
        let driver = try #require(columns.firstIndex(of: "driver_id")), city = try #require(columns.firstIndex(of: "city"))
        let rows = exported.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.map { Int($0[driver])! }.sorted() == (0..<Self.rows).filter { !Self.isBad($0) })
        #expect(rows.allSatisfy { $0[city] == "c\(Int($0[driver])! % 5)" })
    }

    @Test(arguments: [false, true])
    func stopModeListsTheFirstBadLinesInOrderAndCountsThemAll(sorted: Bool) throws {
        let path = try input()
        let s = try store("stop-\(sorted).db")
        #expect {
            try s.backfill(view: "driver_stats", input: .file(path), options: options(sorted: sorted))
        } throws: { error in
            guard let error = error as? LarderError else { return false }
            return error.problems.map(\.line) == Array(Self.badLines.prefix(ProblemLog.listed)) && error.totalProblems == Self.badLines.count
        }
        #expect(try s.rowCount(view: "driver_stats") == 0)
    }

    /// The reader splits batches of half `batchRows` records, and the typer
    /// types two of them into one batch: the writer gets 300 batches of 10
    /// rows for 3,000, each with the progress after its rows.
    @Test func theTyperJoinsTwoBatchesOfTheReaderIntoOne() throws {
        let path = try input()
        var options = IngestOptions()
        options.batchRows = 10
        options.onError = .skip
        options.rejectFile = .file(dir.file("joined-rejects.jsonl"))
        #expect(options.readRows == 5)
        let s = try store("joined.db")
        let seen = Mutex<[Int]>([])
        let result = try s.backfill(view: "driver_stats", input: .file(path), options: options) { progress in
            seen.withLock { $0.append(progress.rows) }
        }
        #expect(result.rowsWritten + result.rowsRejected == Self.rows)
        #expect(seen.withLock { $0 } == Array(stride(from: 10, through: Self.rows, by: 10)))
    }

    /// Records that cannot be split into fields and rows refused while
    /// typed reach the reject file in line order, across the reader's
    /// batches joined into one.
    @Test func theRejectFileIsInLineOrder() throws {
        var lines = ["driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city"]
        var bad: [Int] = []
        for i in 0..<200 {
            switch i % 7 {
            case 2: lines.append("\(i),2026-11-20T10:00:00Z,0.5,0.25,\(i)"); bad.append(i + 2) // a field short
            case 5: lines.append("\(i),2026-11-20T10:00:00Z,0.5,0.25,many,c"); bad.append(i + 2) // not an int64
            default: lines.append("\(i),2026-11-20T10:00:00Z,0.5,0.25,\(i),c")
            }
        }
        let path = try dir.write("mixed.csv", lines.joined(separator: "\n") + "\n")
        var options = IngestOptions()
        options.batchRows = 10
        options.onError = .skip
        options.rejectFile = .file(dir.file("mixed-rejects.jsonl"))
        let result = try store("mixed.db").backfill(view: "driver_stats", input: .file(path), options: options)
        #expect(result.rowsRejected == bad.count)
        let rejects = try String(contentsOfFile: dir.file("mixed-rejects.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(rejects.map { Int($0.dropFirst("{\"line\":".count).prefix { $0.isNumber })! } == bad)
    }

    /// The nice value of each of this process's threads (Linux, from `/proc/self/task`).
    static func threadNiceValues() throws -> [Int] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(task)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After the name: state, ppid, …; the nice value is the 19th field of the line, the 17th after the name.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 16 ? Int(fields[16]) : nil
        }
    }

    /// The reading, typing and sorting threads yield to the thread that
    /// writes (``HelperPriority``): while a run is being written, threads of
    /// this process run at the writer's nice value plus ``HelperPriority/niceness``.
    @Test func theHelperThreadsYieldToTheWriter() throws {
        #if os(Linux)
        let path = try input()
        let s = try store("nice.db")
        let seen = Mutex<(writer: Int, helpers: Int)?>(nil)
        // The input's bad rows refuse the run at its end; only its threads matter here.
        _ = try? s.backfill(view: "driver_stats", input: .file(path), options: options(sorted: false)) { _ in
            guard seen.withLock({ $0 == nil }) else { return }
            let writer = Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
            let lowered = (try? Self.threadNiceValues().filter { $0 == min(writer + Int(HelperPriority.niceness), 19) }.count) ?? 0
            seen.withLock { $0 = (writer, lowered) }
        }
        let observed = try #require(seen.withLock { $0 })
        #expect(observed.helpers >= 3, "threads at the writer's nice \(observed.writer) + \(HelperPriority.niceness): \(observed.helpers)")
        #endif
    }

    /// The reader reads its next batch only once the typer has taken the
    /// last one (``HandoffQueue/waitForRoom()``), so that no more than two
    /// raw batches are in memory: the wait returns only after a `take`.
    @Test func theReaderWaitsUntilItsLastBatchIsTaken() {
        let queue = HandoffQueue<Int>(capacity: 1)
        #expect(queue.put(1))
        let returned = DispatchSemaphore(value: 0)
        Thread {
            queue.waitForRoom()
            returned.signal()
        }.start()
        let early = returned.wait(timeout: .now() + 0.02) == .success
        #expect(!early, "the wait returned while the element was still queued")
        #expect(queue.take() == 1)
        if !early { returned.wait() }
        #expect(queue.put(2)) // the wait left the room it found
    }
}
