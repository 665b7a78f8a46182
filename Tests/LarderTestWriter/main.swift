// A child process for the crash and concurrency suites: writes runs of
// ReliabilityData through the library's write API (FeatureStore.write).
//
//   larder-test-writer write STORE K ROWS           one run, K, of ROWS rows
//   larder-test-writer loop STORE FIRST ROWS SECONDS runs FIRST, FIRST+1, … for SECONDS,
//                                                   printing "K RUN_ID" as each commits
//   larder-test-writer group STORE FIRST ROWS SECONDS THREADS
//                                                   the same from THREADS threads at once (their
//                                                   writes share transactions: group commit)
//   larder-test-writer memory STORE K ROWS on|off   one run, after turning SQLite's memory statistics
//                                                   off (as the `larder` command does) or not; prints
//                                                   whether that took effect and SQLite's memory in use
import CLarderSQLite
import Foundation
import Synchronization
import Larder
import LarderTestSupport

/// Run `k` of `count` rows as a frame of typed columns.
func frame(run k: Int, count: Int) -> FeatureFrame {
    var key = Column(type: .int64), event = Column(type: .timestamp), created = Column(type: .timestamp)
    var value = Column(type: .int64), score = Column(type: .float64)
    for row in ReliabilityData.rows(run: k, count: count) {
        key.append(row.key)
        event.append(row.event)
        created.append(row.created)
        value.append(row.value)
        score.append(row.score)
    }
    return FeatureFrame(names: ["user_id", "event_timestamp", "created_timestamp", "value", "score"],
                        columns: [key, event, created, value, score])
}

let arguments = CommandLine.arguments
guard arguments.count >= 5, let first = Int(arguments[3]), let rows = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: larder-test-writer write STORE K ROWS | memory STORE K ROWS on|off | loop STORE FIRST ROWS SECONDS | group STORE FIRST ROWS SECONDS THREADS\n".utf8))
    exit(64)
}
// Before the store opens: SQLite is not initialized yet.
let turnedOff = arguments[1] == "memory" && arguments.count > 5 && arguments[5] == "off" && SQLiteProcess.turnOffMemoryStatistics()
do {
    let store = try FeatureStore(path: arguments[2], options: .init(create: false, cacheBytes: 0))
    switch arguments[1] {
    case "write":
        try store.write(view: "events", frame: frame(run: first, count: rows))
    case "memory":
        try store.write(view: "events", frame: frame(run: first, count: rows))
        FileHandle.standardOutput.write(Data("\(turnedOff) \(sqlite3_memory_used())\n".utf8))
    case "loop":
        let end = Date().addingTimeInterval(Double(arguments[5]) ?? 5)
        var k = first
        while Date() < end {
            let result = try store.write(view: "events", frame: frame(run: k, count: rows))
            FileHandle.standardOutput.write(Data("\(k) \(result.runID ?? -1)\n".utf8))
            k += 1
        }
    case "group":
        let end = Date().addingTimeInterval(Double(arguments[5]) ?? 5)
        let threads = arguments.count > 6 ? Int(arguments[6]) ?? 8 : 8
        let next = Mutex(first)
        let finished = DispatchGroup()
        for _ in 0..<threads {
            finished.enter()
            Thread {
                defer { finished.leave() }
                while Date() < end {
                    let k = next.withLock { k in
                        defer { k += 1 }
                        return k
                    }
                    do {
                        let result = try store.write(view: "events", frame: frame(run: k, count: rows))
                        FileHandle.standardOutput.write(Data("\(k) \(result.runID ?? -1)\n".utf8))
                    } catch {
                        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                        exit(2)
                    }
                }
            }.start()
        }
        finished.wait()
    default:
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}
