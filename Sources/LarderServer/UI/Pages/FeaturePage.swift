import Larder

/// `/ui/views/NAME/features/FEATURE?version=N&runs=SPEC&last=K`: one
/// feature's distribution over the chosen runs (the latest by default) —
/// histogram from the quantile sketch, null rate, top values — and each
/// statistic over the last K runs.
enum FeaturePage {
    /// Bins of a histogram.
    static let bins = 20
    /// Runs in the line charts by default, and at most.
    static let defaultLast = 20, maxLast = 200

    static func render(_ store: FeatureStore, view name: String, feature featureName: String, query: UIQuery) throws -> String {
        let view = try store.registry.view(name, version: try query.int("version", in: 1...Int(Int32.max)))
        guard let index = view.featureIndex(featureName) else {
            throw LarderError.notFound("\(view.qualifiedName) has no feature \(featureName)")
        }
        let feature = view.features[index]
        let last = try query.int("last", in: 1...maxLast) ?? defaultLast
        let runs = try store.runs(view: name).filter { $0.version == view.version } // newest first
        let spec = query.string("runs") ?? runs.first.map { String($0.id) }
        let selection = try spec.map { text throws(ServerError) in try UIQuery.runSelection(text, parameter: "runs") }
        let statistics = try selection.map { try store.statistics(view: name, version: view.version, runs: $0) }
        let summary = statistics?.summaries[index]

        var content: [HTML] = [
            .element("p", ["class": "muted"], [Page.link(UIPath.root, "Catalog"), .text(" › "),
                                               Page.link(UIPath.view(name, version: view.version), "\(name) v\(view.version)"), .text(" › \(featureName)")]),
            .element("h1", text: "\(featureName) in \(name) v\(view.version)"),
            feature.description.isEmpty ? .empty : .element("p", ["class": "lead"], text: feature.description),
            .element("form", ["class": "inline", "method": "get", "action": UIPath.featurePath(name, feature: featureName)], [
                .element("input", ["type": "hidden", "name": "version", "value": String(view.version)]),
                .element("label", [:], [.text("Runs (id, ids, FROM..TO, last:7d, all)"),
                                        .element("input", ["name": "runs", "value": spec ?? "", "list": "run-ids", "maxlength": "512"])]),
                .element("label", [:], [.text("Runs in the trends"), .element("input", ["name": "last", "type": "number", "min": "1", "max": String(maxLast), "value": String(last)])]),
                .element("button", ["type": "submit"], text: "Show"),
                .element("datalist", ["id": "run-ids"], runs.prefix(50).map { .element("option", ["value": String($0.id)]) }),
            ]),
        ]
        guard let statistics, let summary else {
            content.append(.element("p", ["class": "muted"], text: "No run has written to this version yet."))
            return Page.render(title: "\(featureName) in \(name)", content: content)
        }
        content.append(.element("p", [:], text: "Over runs \(statistics.runs.map(String.init).joined(separator: ", "))" +
                                 (statistics.runsWithoutStatistics.isEmpty ? "" : " (runs \(statistics.runsWithoutStatistics.map(String.init).joined(separator: ", ")) have no statistics)")))
        content.append(Page.facts([
            ("type", .element("code", text: feature.type.description)), ("expectations", .text(Expectation.text(feature.expectations))),
            ("rows", .text(Formatting.count(summary.rows))), ("nulls", .text("\(Formatting.count(summary.nulls)) (\(Formatting.percent(summary.nullRate)))")),
            ("NaNs", .text(Formatting.count(summary.nans))),
            ("min · mean · max", .text([summary.min, summary.mean, summary.max].map { $0.map(Formatting.number) ?? "–" }.joined(separator: " · "))),
            ("standard deviation", .text(summary.standardDeviation.map(Formatting.number) ?? "–")),
            ("distinct (estimate)", .text(summary.distinct.map { "≈" + Formatting.number($0.rounded()) } ?? "–")),
        ]))

        content.append(.element("h2", text: "Distribution"))
        if let min = summary.min, let max = summary.max,
           let histogram = statistics.histogram(of: featureName, edges: Histogram.evenEdges(over: min...max, bins: bins)) {
            content.append(histogramChart(id: "histogram", title: "Distribution of \(featureName)\(isVector(feature.type) ? " (L2 norm)" : "")",
                                          histogram, series: [("share of values", histogram)]))
            content.append(Page.table(["quantile", "value"], summary.quantiles.map { [.text(Formatting.percent($0.level)), .text(Formatting.number($0.value))] },
                                      numeric: [0, 1], caption: "Quantiles (from the KLL sketch, rank error ≤ 1.3%)"))
        }
        if !summary.topValues.isEmpty {
            let top = Array(summary.topValues.prefix(20))
            let counted = Double(summary.rows - summary.nulls)
            content.append(Chart.bars(id: "top-values", title: "Most frequent values of \(featureName)", xLabel: "value", yLabel: "share of non-null rows (%)",
                                      categories: top.map(\.value), series: [Chart.Series(name: "share", values: top.map { counted > 0 ? Double($0.count) / counted * 100 : 0 })],
                                      format: { Formatting.number(($0 * 10).rounded() / 10) + "%" }))
        }
        if summary.min == nil && summary.topValues.isEmpty {
            content.append(.element("p", ["class": "muted"], text: "No distribution is recorded for this type (or no value is set)."))
        }

        content.append(.element("h2", text: "Over the last \(min(last, runs.count)) runs"))
        content.append(contentsOf: try trends(store, view: view, index: index, runs: Array(runs.prefix(last).reversed())))
        return Page.render(title: "\(featureName) in \(name)", content: content)
    }

    static func isVector(_ type: FeatureType) -> Bool {
        if case .vector = type { return true }
        return false
    }

    /// A histogram chart of one or two series over the same bins (shares in %).
    static func histogramChart(id: String, title: String, _ shape: Histogram, series: [(String, Histogram)]) -> HTML {
        let categories = zip(shape.edges, shape.edges.dropFirst()).map { "\(Formatting.number($0))–\(Formatting.number($1))" }
        return Chart.bars(id: id, title: title, xLabel: "value bin", yLabel: "share of values (%)", categories: categories,
                          series: series.map { Chart.Series(name: $0.0, values: $0.1.shares.map { $0 * 100 }) },
                          format: { Formatting.number(($0 * 10).rounded() / 10) + "%" })
    }

    /// One small line chart per statistic, over `runs` (oldest first).
    private static func trends(_ store: FeatureStore, view: FeatureView, index: Int, runs: [IngestRun]) throws -> [HTML] {
        guard !runs.isEmpty else { return [] }
        let summaries = try runs.map { try store.statistics(view: view.name, version: view.version, runs: .run($0.id)).summaries[index] }
        let labels = runs.map { "#\($0.id)" }
        var charts: [(String, String, [Double?])] = [
            ("rows", "rows", summaries.map { Double($0.rows) }),
            ("null-rate", "null rate (%)", summaries.map { $0.nullRate * 100 }),
        ]
        if summaries.contains(where: { $0.mean != nil }) {
            charts.append(("mean", "mean", summaries.map(\.mean)))
            charts.append(("median", "median (p50)", summaries.map { $0.quantiles.first { $0.level == 0.5 }?.value }))
            charts.append(("p95", "95th percentile", summaries.map { $0.quantiles.first { $0.level == 0.95 }?.value }))
        }
        if summaries.contains(where: { $0.distinct != nil }) {
            charts.append(("distinct", "distinct values (estimate)", summaries.map(\.distinct)))
        }
        return [.element("div", ["class": "grid-charts"], charts.map { (id, label, values) in
            Chart.line(id: "trend-\(id)", title: "\(label) per run", xLabel: "run id", yLabel: label, categories: labels,
                       series: Chart.Series(name: label, values: values), format: Formatting.number)
        })]
    }
}
