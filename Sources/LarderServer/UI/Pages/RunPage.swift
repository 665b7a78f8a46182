import Larder

/// `/ui/views/NAME/runs/ID`: one run — what it wrote, and each feature's
/// figures from the sketches it recorded.
enum RunPage {
    static func render(_ store: FeatureStore, view name: String, run text: String) throws -> String {
        guard let id = Int64(text), id > 0 else { throw LarderError.notFound("no run \"\(text.prefix(40))\": run ids are positive whole numbers") }
        _ = try store.registry.view(name)
        guard let run = try store.runs(view: name).first(where: { $0.id == id }) else {
            throw LarderError.notFound("run \(id) is not a run of \(name)")
        }
        let statistics = try store.statistics(view: name, version: run.version, runs: .run(id))
        var content: [HTML] = [
            .element("p", ["class": "muted"], [Page.link(UIPath.root, "Catalog"), .text(" › "),
                                               Page.link(UIPath.view(name, version: run.version), "\(name) v\(run.version)"), .text(" › run \(id)")]),
            .element("h1", text: "Run \(id) of \(name) v\(run.version)"),
            Page.facts([
                ("source", .text(run.source)), ("rows", .text(Formatting.count(Int64(run.rows)))),
                ("rejected", .text(Formatting.count(Int64(run.rejected)))), ("started", .text(Formatting.time(run.startedAt))),
                ("committed", .text(Formatting.time(run.committedAt))), ("content SHA-256", .element("code", text: run.contentSHA256)),
            ]),
            .element("h2", text: "Features in this run"),
        ]
        if !statistics.runsWithoutStatistics.isEmpty {
            content.append(.element("p", ["class": "muted"], text: "This run was written before statistics were recorded."))
        }
        content.append(Page.table(["feature", "type", "rows", "null rate", "min", "mean", "max", "distinct"], statistics.summaries.map { s in
            [Page.link(UIPath.feature(name, version: run.version, feature: s.name, query: [("runs", String(id))]), s.name),
             .element("code", text: s.type.description), .text(Formatting.count(s.rows)), .text(Formatting.percent(s.nullRate)),
             .text(s.min.map(Formatting.number) ?? "–"), .text(s.mean.map(Formatting.number) ?? "–"), .text(s.max.map(Formatting.number) ?? "–"),
             .text(s.distinct.map { "≈" + Formatting.number($0.rounded()) } ?? "–")]
        }, numeric: [2, 3, 4, 5, 6, 7]))
        content.append(.element("p", [:], [Page.link(UIPath.drift(name, version: run.version, query: [("current", String(id))]),
                                                    "Drift of this run against the runs before it")]))
        return Page.render(title: "Run \(id) of \(name)", content: content)
    }
}
