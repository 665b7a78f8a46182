import ArgumentParser
import Larder

/// `larder ledger VIEW[@N]`: the intervals backfills have committed or
/// failed, as a compact timeline with the gaps between them.
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Show the backfill ledger of a feature view version: committed intervals, gaps and failures.",
        discussion: """
            table: one line per stretch of adjacent committed intervals, per failed interval (with the first line of
            its message) and per gap between them. json: every entry with its run, command, content hash,
            fingerprint, message and time.
            """)

    /// The output formats.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @OptionGroup var options: StoreOptions

    @Argument(help: "VIEW or VIEW@N (default: the latest version).")
    var view: String

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    func run() throws {
        let reference = try ViewReference(parsing: view)
        let store = try options.open()
        let entries = try store.ledger(view: reference.name, version: reference.version)
        switch format {
        case .json:
            print(entries.json())
        case .table:
            let version = try entries.first?.version ?? store.registry.view(reference.name, version: reference.version).version
            guard let first = entries.first, let last = entries.last else {
                print("\(reference.name)@\(version): no intervals yet (run `larder backfill \(reference.name) --command CMD --from T --to T --every 1d`)")
                return
            }
            print("\(reference.name)@\(version): \(entries.count) interval\(entries.count == 1 ? "" : "s") from \(BackfillInterval.text(first.interval.start)) to \(BackfillInterval.text(last.interval.end))")
            for line in Self.timeline(entries) { print(line) }
        }
    }

    /// Lines of the timeline: stretches of adjacent committed intervals,
    /// failed intervals, and the gaps between.
    static func timeline(_ entries: [LedgerEntry]) -> [String] {
        var lines: [String] = []
        var stretch: [LedgerEntry] = []
        func span(_ start: Timestamp, _ end: Timestamp) -> String { "\(BackfillInterval.text(start)) … \(BackfillInterval.text(end))" }
        func flush() {
            guard let first = stretch.first, let last = stretch.last else { return }
            let runs = stretch.compactMap(\.runID).sorted()
            let runText = (runs.count == 1 ? "run " : "runs ") + runRanges(runs)
            lines.append("\(span(first.interval.start, last.interval.end))  committed  \(stretch.count) interval\(stretch.count == 1 ? "" : "s"), \(runText)")
            stretch = []
        }
        var previousEnd: Timestamp?
        for entry in entries {
            if let previousEnd, previousEnd < entry.interval.start {
                flush()
                lines.append("\(span(previousEnd, entry.interval.start))  gap")
            }
            previousEnd = entry.interval.end
            switch entry.status {
            case .committed:
                stretch.append(entry)
            case .failed:
                flush()
                lines.append("\(span(entry.interval.start, entry.interval.end))  FAILED     \(entry.message.prefix { $0 != "\n" })")
            }
        }
        flush()
        return lines
    }

    /// Sorted run ids with consecutive ones joined: `1–3, 5`.
    static func runRanges(_ runs: [Int64]) -> String {
        var parts: [String] = []
        var i = 0
        while i < runs.count {
            var j = i
            while j + 1 < runs.count, runs[j + 1] == runs[j] + 1 { j += 1 }
            parts.append(j == i ? "\(runs[i])" : "\(runs[i])–\(runs[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}
