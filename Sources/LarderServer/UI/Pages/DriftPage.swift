import Larder

/// `/ui/views/NAME/drift?version=N&baseline=SPEC&current=SPEC[&manifest=FILE][&psi=&ks=&js=]`:
/// each feature's PSI, KS and JS between two sets of runs, with the
/// verdict, and the two distributions overlaid. By default the current
/// side is the latest run and the baseline every run before it; a
/// training-set manifest from the server's manifests folder, when chosen,
/// is the baseline instead (the runs of the version it pinned, committed
/// by its `as_of`, as `larder drift --baseline-manifest`).
enum DriftPage {
    static func render(_ store: FeatureStore, view name: String, query: UIQuery, manifests: ManifestFolder?) throws -> String {
        let asked = try query.int("version", in: 1...Int(Int32.max))
        _ = try store.registry.view(name, version: asked)
        let manifestName = query.string("manifest")
        let pinned = try manifestName.map { manifestName in
            guard let manifests else { throw LarderError.notFound("this server offers no manifests (larder serve --manifests DIR)") }
            return try manifests.manifest(named: manifestName).baseline(of: name, version: asked, path: manifestName)
        }
        let view = try store.registry.view(name, version: pinned?.version ?? asked)
        let runs = try store.runs(view: name).filter { $0.version == view.version }.map(\.id).sorted()
        let currentSpec = query.string("current") ?? runs.last.map(String.init)
        let currentID = currentSpec.flatMap { Int64($0) }
        let before = runs.filter { $0 < (currentID ?? runs.last ?? 0) }
        let baselineSpec = pinned != nil ? nil
            : query.string("baseline") ?? (before.isEmpty ? nil : before.count == 1 ? String(before[0]) : before.map(String.init).joined(separator: ","))
        let choices = manifests?.names() ?? []
        var thresholds = DriftThresholds()
        if let psi = try query.positive("psi") { thresholds.psi = psi }
        if let ks = try query.positive("ks") { thresholds.ks = ks }
        if let js = try query.positive("js") { thresholds.js = js }

        var content: [HTML] = [
            .element("p", ["class": "muted"], [Page.link(UIPath.root, "Catalog"), .text(" › "),
                                               Page.link(UIPath.view(name, version: view.version), "\(name) v\(view.version)"), .text(" › drift")]),
            .element("h1", text: "Drift of \(name) v\(view.version)"),
            .element("form", ["class": "inline", "method": "get", "action": UIPath.driftPath(name)], [
                .element("input", ["type": "hidden", "name": "version", "value": String(view.version)]),
                .element("label", [:], [.text("Baseline runs"), .element("input", ["name": "baseline", "value": baselineSpec ?? "", "list": "drift-runs", "maxlength": "512"])]),
                choices.isEmpty ? .empty : .element("label", [:], [.text("or a training set"), .element("select", ["name": "manifest"],
                    [.element("option", ["value": ""], text: "none: the baseline runs")] + choices.map { choice -> HTML in
                        .element("option", ["value": choice, "selected": choice == manifestName ? "" : nil], text: choice)
                    })]),
                .element("label", [:], [.text("Current runs"), .element("input", ["name": "current", "value": currentSpec ?? "", "list": "drift-runs", "maxlength": "512"])]),
                .element("label", [:], [.text("PSI ≥"), .element("input", ["name": "psi", "value": Formatting.number(thresholds.psi), "size": "4"])]),
                .element("label", [:], [.text("KS ≥"), .element("input", ["name": "ks", "value": Formatting.number(thresholds.ks), "size": "4"])]),
                .element("label", [:], [.text("JS ≥"), .element("input", ["name": "js", "value": Formatting.number(thresholds.js), "size": "4"])]),
                .element("button", ["type": "submit"], text: "Compare"),
                .element("datalist", ["id": "drift-runs"], ([String("all")] + runs.suffix(50).reversed().map(String.init)).map { .element("option", ["value": $0]) }),
            ]),
            .element("p", ["class": "muted"], text: "Runs: a run id, ids separated by commas, FROM..TO (commit times, RFC 3339), last:7d, or all."
                     + (choices.isEmpty ? "" : " A training set, when chosen, is the baseline: the runs its manifest read.")),
        ]
        guard let baselineRuns = try pinned?.runs ?? baselineSpec.map({ spec throws(ServerError) in try UIQuery.runSelection(spec, parameter: "baseline") }),
              let currentSpec else {
            content.append(.element("p", [:], text: "Drift compares two sets of runs: this version needs at least two runs, or choose them above."))
            return Page.render(title: "Drift of \(name)", content: content)
        }
        let report = try store.drift(view: name, version: view.version,
                                     baseline: baselineRuns,
                                     current: try UIQuery.runSelection(currentSpec, parameter: "current"), thresholds: thresholds)
        let drifted = report.drifted.map(\.name)
        content.append(.element("p", ["class": drifted.isEmpty ? "verdict-ok" : "verdict-drifted", "role": "status"],
                                text: drifted.isEmpty ? "✓ No feature drifted." : "✕ Drifted: \(drifted.joined(separator: ", "))"))
        content.append(.element("p", ["class": "muted"], text: "Baseline: " + (manifestName.map { "the training set \($0), " } ?? "") + "runs \(report.baseline.runs.map(String.init).joined(separator: ", ")) · current: runs \(report.current.runs.map(String.init).joined(separator: ", "))"))
        content.append(Page.table(["feature", "type", "PSI", "KS", "JS", "null rate change", "verdict"], report.features.map { f in
            [.element("a", ["href": "#dist-\(f.name)"], text: f.name), .element("code", text: f.type.description),
             .text(Formatting.figure(f.psi)), .text(Formatting.figure(f.ks)), .text(Formatting.figure(f.js)),
             .text((f.nullRateChange >= 0 ? "+" : "") + Formatting.percent(f.nullRateChange)),
             .element("span", ["class": f.drifted ? "verdict-drifted" : "verdict-ok"], text: f.drifted ? "✕ drifted: " + f.fired.joined(separator: "; ") : "✓ ok")]
        }, numeric: [2, 3, 4, 5]))

        content.append(.element("h2", text: "Distributions, baseline and current"))
        let baseline = report.baseline.summaries, current = report.current.summaries
        var charts: [HTML] = []
        for (i, feature) in report.features.enumerated() {
            let b = baseline[i], c = current[i]
            let id = "dist-\(feature.name)"
            if let low = [b.min, c.min].compactMap({ $0 }).min(), let high = [b.max, c.max].compactMap({ $0 }).max() {
                let edges = Histogram.evenEdges(over: low...high, bins: FeaturePage.bins)
                if let bh = report.baseline.histogram(of: feature.name, edges: edges), let ch = report.current.histogram(of: feature.name, edges: edges) {
                    charts.append(FeaturePage.histogramChart(id: id, title: "\(feature.name): baseline and current", bh,
                                                             series: [("baseline", bh), ("current", ch)]))
                }
            } else if !b.topValues.isEmpty || !c.topValues.isEmpty {
                var values: [String] = []
                for v in b.topValues.prefix(10).map(\.value) + c.topValues.prefix(10).map(\.value) where !values.contains(v) { values.append(v) }
                func shares(_ s: FeatureSummary) -> [Double?] {
                    let counted = Double(s.rows - s.nulls)
                    return values.map { v in counted > 0 ? Double(s.topValues.first { $0.value == v }?.count ?? 0) / counted * 100 : 0 }
                }
                charts.append(Chart.bars(id: id, title: "\(feature.name): baseline and current", xLabel: "value", yLabel: "share of non-null rows (%)",
                                         categories: values, series: [Chart.Series(name: "baseline", values: shares(b)), Chart.Series(name: "current", values: shares(c))],
                                         format: { Formatting.number(($0 * 10).rounded() / 10) + "%" }))
            }
        }
        content.append(.element("div", ["class": "grid-charts"], charts))
        return Page.render(title: "Drift of \(name)", content: content)
    }
}
