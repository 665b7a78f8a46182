import Foundation
import Larder
import LarderTestSupport
import Testing

/// The process-wide SQLite setting that the `larder` command makes before
/// it opens a store (``SQLiteProcess/turnOffMemoryStatistics()``): checked
/// in a child process, where SQLite starts uninitialized (in this one, other
/// suites have used it already).
@Suite struct SQLiteProcessTests {
    let dir = TemporaryDirectory()

    /// Writes a run in a `larder-test-writer` child with memory statistics
    /// `on` or `off`; answers what it printed: whether turning them off took
    /// effect, and SQLite's memory in use after the write.
    func child(statistics: String, store: String) throws -> (turnedOff: Bool, memoryUsed: Int64) {
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: CLI.executable).deletingLastPathComponent().appendingPathComponent("larder-test-writer")
        writer.arguments = ["memory", store, "1", "2000", statistics]
        let out = Pipe()
        writer.standardOutput = out
        try writer.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        let fields = text.split(whereSeparator: \.isWhitespace)
        return (fields.first == "true", fields.count == 2 ? Int64(fields[1]) ?? -1 : -1)
    }

    @Test func memoryStatisticsAreOffWhenTurnedOffFirst() throws {
        let store = dir.file("memory.db")
        #expect(try CLI.run(["apply", try dir.write("defs.yaml", ReliabilityData.definitions), "--store", store]).status == 0)
        let counted = try child(statistics: "on", store: store)
        #expect(!counted.turnedOff)
        #expect(counted.memoryUsed > 0) // SQLite counts its memory by default (Debian's build)
        let uncounted = try child(statistics: "off", store: store)
        #expect(uncounted.turnedOff)
        #expect(uncounted.memoryUsed == 0)
    }
}
