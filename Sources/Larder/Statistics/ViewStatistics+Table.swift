import Foundation

extension ViewStatistics {
    /// The statistics as a text table, one line per feature: rows, null
    /// rate, NaNs, rows rejected for the feature's value (with the rules
    /// that rejected them), then for numbers min, p01, p25, p50, p75, p99, max, mean
    /// and standard deviation, for strings and bools the distinct estimate
    /// and the three most frequent values with their share of rows.
    public func table() -> String {
        var lines = ["\(view)@\(version): \(runs.count) run\(runs.count == 1 ? "" : "s")" + runList]
        if !runsWithoutStatistics.isEmpty {
            lines.append("(runs without statistics, committed before they were recorded: \(runsWithoutStatistics.map(String.init).joined(separator: ", ")))")
        }
        let header = ["feature", "type", "rows", "null%", "nan", "rejected", "min", "p01", "p25", "p50", "p75", "p99", "max", "mean", "stddev", "distinct", "top values"]
        var rows = [header]
        for s in summaries {
            var row = [s.name, s.type.description, String(s.rows), Self.percent(s.nullRate), String(s.nans), Self.rejections(s.rejectedByRule)]
            let q = Dictionary(uniqueKeysWithValues: s.quantiles.map { ($0.level, $0.value) })
            for level in [0, 0.01, 0.25, 0.5, 0.75, 0.99, 1] { row.append(q[level].map(Self.number) ?? "") }
            row.append(s.mean.map(Self.number) ?? "")
            row.append(s.standardDeviation.map(Self.number) ?? "")
            row.append(s.distinct.map { String(Int($0.rounded())) } ?? "")
            let present = max(1, s.rows - s.nulls)
            row.append(s.topValues.prefix(3).map { "\($0.value) \(Self.percent(Double($0.count) / Double(present)))" }.joined(separator: ", "))
            rows.append(row)
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : (c < 2 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                                                   : String(repeating: " ", count: widths[c] - cell.count) + cell)
            }
            lines.append(cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        return lines.joined(separator: "\n")
    }

    private var runList: String {
        guard let first = runs.first, let last = runs.last else { return "" }
        return runs.count == 1 ? " (\(first))" : " (\(first)…\(last))"
    }

    /// Rows rejected for a feature's value: `0`, or `12 (min 10, type 2)`, rules by count.
    static func rejections(_ byRule: [String: Int64]) -> String {
        let total = byRule.values.reduce(0, +)
        guard total > 0 else { return "0" }
        let rules = byRule.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        return "\(total) (\(rules.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"
    }

    /// Six significant digits, integers without a fraction.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: "%.6g", value)
    }

    /// A fraction as a percentage with one decimal.
    static func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }
}
