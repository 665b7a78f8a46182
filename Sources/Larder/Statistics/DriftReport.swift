/// The drift of every feature of a view version between two sets of runs:
/// what `larder drift` prints, exiting 3 when ``drifted`` is not empty.
public struct DriftReport: Sendable {
    /// The baseline's statistics.
    public let baseline: ViewStatistics
    /// The current statistics.
    public let current: ViewStatistics
    /// The thresholds applied.
    public let thresholds: DriftThresholds
    /// Each feature's figures and verdict, in view order.
    public let features: [FeatureDrift]

    /// Compares `current` with `baseline`, statistics of the same view
    /// version, holding each feature to `thresholds` with its `overrides`
    /// (by feature name) applied.
    package init(baseline: ViewStatistics, current: ViewStatistics, thresholds: DriftThresholds, overrides: [String: DriftOverrides] = [:]) {
        precondition(baseline.features.count == current.features.count, "drift between statistics of different views")
        self.baseline = baseline
        self.current = current
        self.thresholds = thresholds
        features = zip(baseline.features, current.features).map { b, c in
            FeatureDrift(baseline: b, current: c, thresholds: overrides[b.name].map(thresholds.applying) ?? thresholds)
        }
    }

    /// The features that drifted.
    public var drifted: [FeatureDrift] { features.filter(\.drifted) }

    /// The report as one JSON object: `view`, `version`, `baseline_runs`,
    /// `current_runs`, `drifted` (names), `thresholds`, and `features`
    /// (`name`, `type`, `psi`, `ks`, `js`, `baseline_null_rate`,
    /// `current_null_rate`, `baseline_reject_rate`, `current_reject_rate`,
    /// `thresholds` (the feature's own), `drifted`, `fired`).
    public func json() -> String {
        func number(_ d: Double?) -> JSONValue { d.map { JSONValue.double($0) } ?? .null }
        return JSONValue.object([
            "view": .string(baseline.view), "version": .int(baseline.version),
            "baseline_runs": .array(baseline.runs.map { .int(Int($0)) }),
            "current_runs": .array(current.runs.map { .int(Int($0)) }),
            "drifted": .array(drifted.map { .string($0.name) }),
            "thresholds": thresholds.jsonValue,
            "features": .array(features.map { f in
                .object(["name": .string(f.name), "type": .string(f.type.description), "psi": number(f.psi), "ks": number(f.ks),
                         "js": number(f.js), "baseline_null_rate": .double(f.baselineNullRate),
                         "current_null_rate": .double(f.currentNullRate), "baseline_reject_rate": .double(f.baselineRejectRate),
                         "current_reject_rate": .double(f.currentRejectRate), "thresholds": f.thresholds.jsonValue, "drifted": .bool(f.drifted),
                         "fired": .array(f.fired.map { .string($0) })])
            }),
        ]).rendered
    }

    /// The report as text: one line per feature with its figures and
    /// verdict, then a summary line naming the drifting features.
    public func table() -> String {
        func runs(_ s: ViewStatistics) -> String {
            guard let first = s.runs.first, let last = s.runs.last else { return "no runs" }
            return s.runs.count == 1 ? "run \(first)" : "\(s.runs.count) runs (\(first)…\(last))"
        }
        var lines = ["\(baseline.view)@\(baseline.version): baseline \(runs(baseline)), current \(runs(current))"]
        let header = ["feature", "type", "psi", "ks", "js", "null%", "rejected%", "verdict"]
        var rows = [header]
        for f in features {
            rows.append([f.name, f.type.description, f.psi.map(FeatureDrift.figure) ?? "", f.ks.map(FeatureDrift.figure) ?? "",
                         f.js.map(FeatureDrift.figure) ?? "",
                         "\(FeatureDrift.points(f.baselineNullRate)) → \(FeatureDrift.points(f.currentNullRate))",
                         "\(FeatureDrift.points(f.baselineRejectRate)) → \(FeatureDrift.points(f.currentRejectRate))",
                         f.drifted ? "DRIFT: " + f.fired.joined(separator: "; ") : "ok"])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        for row in rows {
            lines.append(row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
            }.joined(separator: "  "))
        }
        let names = drifted.map(\.name)
        lines.append(names.isEmpty ? "no feature drifted" : "\(names.count) feature\(names.count == 1 ? "" : "s") drifted: \(names.joined(separator: ", "))")
        return lines.joined(separator: "\n")
    }
}

extension DriftThresholds {
    /// The thresholds as a JSON object: `psi`, `ks`, `js`, `null_rate_increase`, `reject_rate_increase`.
    var jsonValue: JSONValue {
        .object(["psi": .double(psi), "ks": .double(ks), "js": .double(js), "null_rate_increase": .double(nullRateIncrease),
                 "reject_rate_increase": .double(rejectRateIncrease)])
    }
}
