import Larder

/// `/ui/ledger`: every view version's backfill ledger as a strip — the
/// intervals committed, those that failed (with why), and the gaps between.
enum LedgerPage {
    static func render(_ store: FeatureStore) throws -> String {
        var content: [HTML] = [.element("h1", text: "Backfill ledger"),
                               .element("p", ["class": "lead"], text: "Intervals computed by larder backfill --command, per view version.")]
        var any = false
        let registry = try store.registry
        for name in registry.views.keys.sorted() {
            for view in (registry.views[name] ?? []).reversed() {
                let entries = try store.ledger(view: name, version: view.version)
                guard !entries.isEmpty else { continue }
                any = true
                content.append(.element("h2", [:], [Page.link(UIPath.view(name, version: view.version), "\(name) v\(view.version)")]))
                content.append(strip(entries, id: "ledger-\(name)-\(view.version)", title: "Ledger of \(name) v\(view.version)"))
                let failures = entries.filter { $0.status == .failed || !$0.message.isEmpty }
                if !failures.isEmpty {
                    content.append(Page.table(["interval", "status", "message"], failures.map { e in
                        [.text(e.interval.description), .text(e.status.rawValue), .element("pre", text: String(e.message.prefix(2000)))]
                    }, caption: "Failures of \(name) v\(view.version)"))
                }
            }
        }
        if !any { content.append(.element("p", ["class": "muted"], text: "No backfill over intervals has run in this store yet.")) }
        return Page.render(title: "Backfill ledger", content: content)
    }

    /// The strip of `entries` (sorted by start): covered, failed, and the gaps between them.
    static func strip(_ entries: [LedgerEntry], id: String, title: String) -> HTML {
        let sorted = entries.sorted { $0.interval < $1.interval }
        var segments: [Chart.Segment] = []
        var end: Int64?
        for entry in sorted {
            let interval = entry.interval
            if let end, interval.start.microseconds > end {
                segments.append(Chart.Segment(start: end, end: interval.start.microseconds, kind: .gap,
                                              label: BackfillInterval(start: Timestamp(microseconds: end), end: interval.start).description))
            }
            let label = interval.description + (entry.runID.map { " (run \($0))" } ?? "") + (entry.message.isEmpty ? "" : ": \(entry.message.prefix(200))")
            segments.append(Chart.Segment(start: interval.start.microseconds, end: interval.end.microseconds,
                                          kind: entry.status == .committed ? .covered : .failed, label: label))
            end = max(end ?? interval.end.microseconds, interval.end.microseconds)
        }
        let start = sorted.first?.interval.start ?? Timestamp(microseconds: 0)
        let last = Timestamp(microseconds: end ?? start.microseconds)
        return Chart.strip(id: id, title: title, start: start.microseconds, end: last.microseconds,
                           startLabel: Formatting.time(start), endLabel: Formatting.time(last), segments: segments)
    }
}
