import Larder

/// `/ui/views/NAME?version=N`: one view version — its features with types
/// and expectations, rows, freshness, its runs as a timeline, its ledger.
enum ViewPage {
    /// The most runs listed on the timeline.
    static let timelineRuns = 50

    static func render(_ store: FeatureStore, view name: String, query: UIQuery) throws -> String {
        let registry = try store.registry
        let view = try registry.view(name, version: try query.int("version", in: 1...Int(Int32.max)))
        let versions = registry.views[name] ?? []
        let runs = try store.runs(view: name).filter { $0.version == view.version } // newest first
        let now = Timestamp.now
        let latest = runs.first
        let statistics = try latest.map { try store.statistics(view: name, version: view.version, runs: .run($0.id)) }
        let newest = try store.newestEventTime(view: name, version: view.version)

        var content: [HTML] = [
            .element("p", ["class": "muted"], [Page.link(UIPath.root, "Catalog"), .text(" › \(name)")]),
            .element("h1", text: "\(name) v\(view.version)"),
            view.definition.description.isEmpty ? .empty : .element("p", ["class": "lead"], text: view.definition.description),
            Page.facts([
                ("entity", .text("\(view.definition.entity) (\(view.joinKeys.map { "\($0.name): \($0.type)" }.joined(separator: ", ")))")),
                ("ttl", .text(DurationText.format(view.ttl))),
                ("owner", .text(view.definition.owner.isEmpty ? "–" : view.definition.owner)),
                ("tags", .text(view.definition.tags.isEmpty ? "–" : view.definition.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))),
                ("created", .text(Formatting.time(view.createdAt))),
                ("rows written", .text("\(Formatting.count(Int64(runs.reduce(0) { $0 + $1.rows }))) in \(runs.count) runs")),
                ("last run", latest.map { .text("\(Formatting.time($0.committedAt)) (\(Formatting.age($0.committedAt, now: now)))") } ?? .text("none yet")),
                ("newest event time", newest.map { .text("\(Formatting.time($0)) (\(Formatting.age($0, now: now)))") } ?? .text("no rows")),
                ("versions", .join(versions.reversed().enumerated().map { (i, v) in
                    .join([i > 0 ? .text(" · ") : .empty, v.version == view.version ? .element("strong", text: "v\(v.version)")
                                                                                     : Page.link(UIPath.view(name, version: v.version), "v\(v.version)")])
                })),
            ]),
            .element("p", [:], [Page.link(UIPath.drift(name, version: view.version), "Compare runs: drift")]),
        ]
        if let previous = versions.last(where: { $0.version < view.version }) {
            content.append(.element("p", [:], text: "Changes from v\(previous.version): \(VersionChanges.between(previous, view).summary)"))
        }

        content.append(.element("h2", text: "Features"))
        let summaries = statistics?.summaries ?? []
        content.append(Page.table(
            ["feature", "type", "expectations", "description", "null rate (last run)", "mean or distinct (last run)"],
            view.features.enumerated().map { (i, feature) in
                let summary = i < summaries.count ? summaries[i] : nil
                let central = summary.flatMap { s in s.mean.map { "mean \(Formatting.number($0))" } ?? s.distinct.map { "≈\(Formatting.number($0.rounded())) distinct" } }
                return [Page.link(UIPath.feature(name, version: view.version, feature: feature.name), feature.name),
                        .element("code", text: feature.type.description), .text(Expectation.text(feature.expectations)),
                        .text(feature.description), .text(summary.map { Formatting.percent($0.nullRate) } ?? "–"), .text(central ?? "–")]
            }, numeric: [4]))

        content.append(.element("h2", text: "Runs"))
        if runs.isEmpty {
            content.append(.element("p", ["class": "muted"], text: "No run has written to this version yet."))
        } else {
            let shown = Array(runs.prefix(timelineRuns))
            let chronological = shown.reversed()
            content.append(Chart.line(id: "rows-per-run", title: "Rows written per run", xLabel: "run id", yLabel: "rows",
                                      categories: chronological.map { "#\($0.id)" },
                                      series: Chart.Series(name: "rows", values: chronological.map { Double($0.rows) }), format: Formatting.number))
            content.append(.element("ol", ["class": "timeline", "reversed": "", "aria-label": "Runs, newest first"], shown.map { run in
                .element("li", [:], [
                    .element("strong", [:], [Page.link(UIPath.run(name, id: run.id), "run \(run.id)")]),
                    .text(" committed \(Formatting.time(run.committedAt)) · \(Formatting.count(Int64(run.rows))) rows · \(Formatting.count(Int64(run.rejected))) rejected · "),
                    .element("code", ["title": run.contentSHA256], text: String(run.contentSHA256.prefix(12))),
                    .element("br"), .element("span", ["class": "muted"], text: "source \(run.source)"),
                ])
            }))
            if runs.count > shown.count { content.append(.element("p", ["class": "muted"], text: "and \(runs.count - shown.count) older runs")) }
        }

        let ledger = try store.ledger(view: name, version: view.version)
        if !ledger.isEmpty {
            content.append(.element("h2", text: "Backfill ledger"))
            content.append(LedgerPage.strip(ledger, id: "ledger-\(name)-\(view.version)", title: "Ledger of \(name) v\(view.version)"))
        }
        return Page.render(title: "\(name) v\(view.version)", content: content)
    }
}
