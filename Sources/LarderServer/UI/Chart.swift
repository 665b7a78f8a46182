import Foundation

/// Charts as inline SVG, drawn here in Swift: each is a `<figure>` with a
/// caption, an SVG labelled for screen readers (`role="img"`, `<title>`,
/// `aria-labelledby`), axes with their units, and the same numbers in a
/// `<table>`. Series differ by shape and line style, not only by colour.
enum Chart {
    /// One series of a bar or line chart.
    struct Series {
        /// Its name in the legend and the table.
        var name: String
        /// One value per category (`nil`: no value there).
        var values: [Double?]
    }

    /// The drawing area inside the SVG's 640 × 260 view box.
    private static let width = 640.0, height = 260.0, left = 64.0, right = 16.0, top = 16.0, bottom = 48.0
    private static var plotWidth: Double { width - left - right }
    private static var plotHeight: Double { height - top - bottom }

    /// Grouped bars: one group per category, one bar per series (the first
    /// filled, the second outlined and dashed); `format` writes a value.
    static func bars(id: String, title: String, xLabel: String, yLabel: String, categories: [String], series: [Series],
                     format: (Double) -> String) -> HTML {
        let top = niceMax(series.flatMap { $0.values.compactMap { $0 } }.max() ?? 0)
        let groupWidth = plotWidth / Double(max(1, categories.count))
        let barWidth = groupWidth * 0.8 / Double(max(1, series.count))
        var marks: [HTML] = []
        for (c, category) in categories.enumerated() {
            for (s, line) in series.enumerated() {
                guard let value = line.values[c] else { continue }
                let h = top > 0 ? value / top * plotHeight : 0
                let x = left + Double(c) * groupWidth + groupWidth * 0.1 + Double(s) * barWidth
                marks.append(.element("rect", ["class": "series\(s)", "x": n(x), "y": n(Self.top + plotHeight - h),
                                               "width": n(max(1, barWidth - 1)), "height": n(h)],
                                      [.element("title", text: "\(line.name), \(category): \(format(value))")]))
            }
        }
        let labels = sparseLabels(categories, every: labelStep(categories)).map { (i, label) in
            HTML.element("text", ["x": n(left + (Double(i) + 0.5) * groupWidth), "y": n(Self.top + plotHeight + 16), "text-anchor": "middle"],
                         text: label)
        }
        return figure(id: id, title: title, description: "\(yLabel) by \(xLabel)", svg: axes(xLabel: xLabel, yLabel: yLabel, top: top, format: format)
                        + marks + labels, legend: series.count > 1 ? legend(series.map(\.name), line: false) : nil,
                      table: table(xLabel: xLabel, categories: categories, series: series, format: format))
    }

    /// A line over categories (runs, in order) with a marker at each value.
    static func line(id: String, title: String, xLabel: String, yLabel: String, categories: [String], series: Series,
                     format: (Double) -> String) -> HTML {
        let values = series.values.compactMap { $0 }
        let low = min(0, values.min() ?? 0), high = niceMax(values.max() ?? 0)
        let span = high - low > 0 ? high - low : 1
        let step = categories.count > 1 ? plotWidth / Double(categories.count - 1) : 0
        var points: [String] = [], marks: [HTML] = []
        for (i, value) in series.values.enumerated() {
            guard let value else { continue }
            let x = left + (categories.count > 1 ? Double(i) * step : plotWidth / 2)
            let y = top + plotHeight - (value - low) / span * plotHeight
            points.append("\(n(x)),\(n(y))")
            marks.append(.element("circle", ["class": "marker", "cx": n(x), "cy": n(y), "r": "4"],
                                  [.element("title", text: "\(categories[i]): \(format(value))")]))
        }
        let labels = sparseLabels(categories, every: labelStep(categories)).map { (i, label) in
            HTML.element("text", ["x": n(left + (categories.count > 1 ? Double(i) * step : plotWidth / 2)), "y": n(top + plotHeight + 16),
                                  "text-anchor": "middle"], text: label)
        }
        let path = HTML.element("polyline", ["class": "series0 line", "points": points.joined(separator: " ")])
        return figure(id: id, title: title, description: "\(yLabel) by \(xLabel)",
                      svg: axes(xLabel: xLabel, yLabel: yLabel, top: high, bottom: low, format: format) + [path] + marks + labels,
                      legend: nil, table: table(xLabel: xLabel, categories: categories, series: [series], format: format))
    }

    /// One segment of a strip.
    struct Segment {
        /// What the segment is.
        enum Kind: String { case covered, failed, gap }
        /// Its start and end (µs).
        var start: Int64, end: Int64
        /// What it is.
        var kind: Kind
        /// Its label in the tooltip and the table.
        var label: String
    }

    /// A horizontal strip over `[start, end)`: covered segments filled,
    /// failed ones cross-hatched and marked ✕, gaps outlined and dashed.
    static func strip(id: String, title: String, start: Int64, end: Int64, startLabel: String, endLabel: String, segments: [Segment]) -> HTML {
        let span = Double(max(1, end - start))
        let marks = segments.map { segment in
            let x = left + Double(segment.start - start) / span * plotWidth
            let w = max(2, Double(segment.end - segment.start) / span * plotWidth)
            return HTML.element("rect", ["class": segment.kind.rawValue, "x": n(x), "y": n(top + 8), "width": n(w), "height": "40",
                                         "fill": segment.kind == .failed ? "url(#\(id)-hatch)" : nil],
                                [.element("title", text: "\(segment.kind.rawValue): \(segment.label)")])
        }
        let hatch = HTML.element("defs", [:], [.element("pattern", ["id": "\(id)-hatch", "width": "8", "height": "8", "patternUnits": "userSpaceOnUse",
                                                                    "patternTransform": "rotate(45)"],
                                                        [.element("rect", ["class": "hatch-back", "width": "8", "height": "8"]),
                                                         .element("line", ["class": "hatch-line", "x1": "0", "y1": "0", "x2": "0", "y2": "8"])])])
        let axis: [HTML] = [
            .element("line", ["class": "axis", "x1": n(left), "y1": n(top + 56), "x2": n(left + plotWidth), "y2": n(top + 56)]),
            .element("text", ["x": n(left), "y": n(top + 74), "text-anchor": "start"], text: startLabel),
            .element("text", ["x": n(left + plotWidth), "y": n(top + 74), "text-anchor": "end"], text: endLabel),
            .element("text", ["class": "axis-label", "x": n(left + plotWidth / 2), "y": n(top + 92), "text-anchor": "middle"],
                     text: "interval start → end (UTC)"),
        ]
        let rows = segments.map { segment in
            HTML.element("tr", [:], [.element("td", text: segment.kind.rawValue + (segment.kind == .failed ? " ✕" : "")),
                                     .element("td", text: segment.label)])
        }
        let table = HTML.element("table", [:], [.element("thead", [:], [.element("tr", [:], [.element("th", ["scope": "col"], text: "status"),
                                                                                            .element("th", ["scope": "col"], text: "interval")])]),
                                                .element("tbody", [:], rows)])
        return figure(id: id, title: title, description: "covered, failed and missing intervals", svg: [hatch] + marks + axis,
                      legend: stripLegend(id: id), table: table, height: 120)
    }

    // MARK: Parts

    private static func figure(id: String, title: String, description: String, svg: [HTML], legend: HTML?, table: HTML,
                               height: Double = Chart.height) -> HTML {
        let svg = HTML.element("svg", ["xmlns": "http://www.w3.org/2000/svg", "viewBox": "0 0 \(n(width)) \(n(height))", "role": "img",
                                       "aria-labelledby": "\(id)-title \(id)-desc", "class": "chart"],
                               [.element("title", ["id": "\(id)-title"], text: title), .element("desc", ["id": "\(id)-desc"], text: description)] + svg)
        return .element("figure", ["id": id, "class": "chart-figure"], [
            .element("figcaption", [:], text: title), svg, legend ?? .empty,
            .element("details", [:], [.element("summary", [:], text: "Numbers"), table]),
        ])
    }

    private static func axes(xLabel: String, yLabel: String, top maximum: Double, bottom minimum: Double = 0, format: (Double) -> String) -> [HTML] {
        var out: [HTML] = [
            .element("line", ["class": "axis", "x1": n(left), "y1": n(top), "x2": n(left), "y2": n(top + plotHeight)]),
            .element("line", ["class": "axis", "x1": n(left), "y1": n(top + plotHeight), "x2": n(left + plotWidth), "y2": n(top + plotHeight)]),
            .element("text", ["class": "axis-label", "x": n(left + plotWidth / 2), "y": n(height - 8), "text-anchor": "middle"], text: xLabel),
            .element("text", ["class": "axis-label", "x": "14", "y": n(top + plotHeight / 2), "text-anchor": "middle",
                              "transform": "rotate(-90 14 \(n(top + plotHeight / 2)))"], text: yLabel),
        ]
        for fraction in [0.0, 0.5, 1.0] {
            let y = top + plotHeight - fraction * plotHeight
            out.append(.element("line", ["class": "grid", "x1": n(left), "y1": n(y), "x2": n(left + plotWidth), "y2": n(y)]))
            out.append(.element("text", ["x": n(left - 6), "y": n(y + 4), "text-anchor": "end"],
                                text: format(minimum + fraction * (maximum - minimum))))
        }
        return out
    }

    private static func legend(_ names: [String], line: Bool) -> HTML {
        .element("ul", ["class": "legend"], names.enumerated().map { (i, name) in
            .element("li", [:], [.element("svg", ["width": "28", "height": "14", "aria-hidden": "true"],
                                          [.element("rect", ["class": "series\(i)", "x": "2", "y": "2", "width": "24", "height": "10"])]),
                                 .text(" " + name + (i == 0 ? " (filled)" : " (outlined, dashed)"))])
        })
    }

    private static func stripLegend(id: String) -> HTML {
        let kinds: [(Segment.Kind, String)] = [(.covered, "covered (filled)"), (.failed, "failed (hatched, ✕)"), (.gap, "gap (dashed outline)")]
        return .element("ul", ["class": "legend"], kinds.map { (kind, label) in
            .element("li", [:], [.element("svg", ["width": "28", "height": "14", "aria-hidden": "true"],
                                          [.element("rect", ["class": kind.rawValue, "x": "2", "y": "2", "width": "24", "height": "10",
                                                             "fill": kind == .failed ? "url(#\(id)-hatch)" : nil])]),
                                 .text(" " + label)])
        })
    }

    private static func table(xLabel: String, categories: [String], series: [Series], format: (Double) -> String) -> HTML {
        let head = HTML.element("tr", [:], [.element("th", ["scope": "col"], text: xLabel)] + series.map { .element("th", ["scope": "col"], text: $0.name) })
        let rows = categories.enumerated().map { (i, category) in
            HTML.element("tr", [:], [.element("th", ["scope": "row"], text: category)] + series.map { .element("td", text: $0.values[i].map(format) ?? "–") })
        }
        return .element("table", [:], [.element("thead", [:], [head]), .element("tbody", [:], rows)])
    }

    /// How many categories one x-axis label spans so that labels (about 7
    /// units a character) do not overlap.
    private static func labelStep(_ labels: [String]) -> Int {
        let longest = Double(labels.map(\.count).max() ?? 1)
        return max(1, Int((Double(labels.count) * (longest + 2) * 7 / plotWidth).rounded(.up)))
    }

    /// Every `every`-th label, so labels do not overlap.
    private static func sparseLabels(_ labels: [String], every: Int) -> [(Int, String)] {
        labels.enumerated().filter { $0.offset % every == 0 }.map { ($0.offset, $0.element) }
    }

    /// A round number at or above `value` for the top of an axis.
    static func niceMax(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return value.isFinite && value < 0 ? 0 : 1 }
        let magnitude = pow10(floor(log10(value)))
        for step in [1.0, 2, 2.5, 5, 10] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    private static func pow10(_ e: Double) -> Double {
        var r = 1.0
        if e >= 0 { for _ in 0..<Int(e) { r *= 10 } } else { for _ in 0..<Int(-e) { r /= 10 } }
        return r
    }

    /// A coordinate with at most one decimal.
    private static func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
