import ArgumentParser
import Larder

#if canImport(Glibc)
import Glibc
#endif

/// `larder quickstart`: a demo store made from bundled definitions and a
/// generated dataset.
struct QuickstartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "Make a demo store (1,000 drivers × hourly stats over 30 days) and show what Larder does.")

    @Option(help: "The folder for the demo files (made if missing; its larder.db is recreated).")
    var dir = "larder-quickstart"

    func run() throws {
        mkdir(dir, 0o755)
        let storePath = dir + "/larder.db"
        for suffix in ["", "-wal", "-shm"] { unlink(storePath + suffix) }
        let definitionsPath = dir + "/driver_stats.yaml"
        let dataPath = dir + "/driver_stats.csv"
        try writeFile(definitionsPath, Quickstart.definitionsYAML)
        print("1. wrote the definitions \(definitionsPath)")
        let rows = try Quickstart.writeDataset(to: dataPath)
        print("2. generated \(rows) rows of hourly driver stats in \(dataPath)")
        let store = try FeatureStore(path: storePath)
        let plan = try store.apply(try Definitions.load(path: definitionsPath))
        print("3. applied them to the new store \(storePath):")
        print(plan.description.split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
        let run = try store.backfill(view: "driver_stats", input: dataPath)
        print("4. backfilled them as run \(run.runID ?? 0): \(run.rowsWritten) rows in \(String(format3: run.seconds)) s "
              + "(\(Int(Double(run.rowsWritten) / max(run.seconds, 0.001))) rows/s), every row validated")
        print("""

            Try it:
              larder list --store \(storePath)
              larder describe driver_stats --store \(storePath)
              larder runs driver_stats --store \(storePath)
            """)
    }
}

/// Writes `text` to `path`, replacing it.
func writeFile(_ path: String, _ text: String) throws {
    guard let file = fopen(path, "wb") else { throw LarderError.io(path: path, message: String(cString: strerror(errno))) }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    guard fwrite(bytes, 1, bytes.count, file) == bytes.count else { throw LarderError.io(path: path, message: String(cString: strerror(errno))) }
}
