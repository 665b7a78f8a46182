extension FeatureStore {
    /// The statistics of `view` (version `version`, default the latest) over
    /// the committed runs `runs` picks, merged from the sketches each run
    /// recorded when it was written (docs/quality.md): no feature row is read.
    ///
    /// Fails with ``LarderError/Category/notFound`` for an unknown view or
    /// version, or a run id that is not a committed run of that version.
    ///
    /// - Complexity: O(runs × features): each run's sketches (a few
    ///   kilobytes per feature) are decoded the first time they are asked
    ///   for and kept by run id (the most recently used 1,024 runs), then merged.
    public func statistics(view: String, version: Int? = nil, runs: RunSelection = .all) throws(LarderError) -> ViewStatistics {
        try withReader { state in
            let target = try state.registry.view(view, version: version)
            return try state.session.statistics(of: target, runs: runs, cache: runStatistics)
        }
    }
}

extension FeatureStore {
    /// How far each feature of `view` (version `version`, default the
    /// latest) moved from the `baseline` runs to the `current` runs, from
    /// their merged sketches (docs/quality.md).
    ///
    /// Each feature is held to `thresholds`, over which go its own
    /// thresholds from the definitions (`expect: {drift: …}`), over which go
    /// `overrides` (by feature name): the most specific wins. An override
    /// for a feature the view does not have fails with ``LarderError/Category/notFound``,
    /// and so does a baseline or current selection that holds no committed
    /// run: there is nothing to compare, and a pipeline that gates on drift
    /// must not read that as "no drift".
    public func drift(view: String, version: Int? = nil, baseline: RunSelection, current: RunSelection,
                      thresholds: DriftThresholds = DriftThresholds(),
                      overrides: [String: DriftOverrides] = [:]) throws(LarderError) -> DriftReport {
        try withReader { state in
            let target = try state.registry.view(view, version: version)
            if let unknown = overrides.keys.sorted().first(where: { name in !target.features.contains { $0.name == name } }) {
                throw LarderError.notFound("\(target.name)@\(target.version) has no feature \"\(unknown)\" (thresholds were given for it)")
            }
            let perFeature = Dictionary(uniqueKeysWithValues: target.features.map { f in
                (f.name, f.expectations.drift.overridden(by: overrides[f.name] ?? DriftOverrides()))
            })
            func statistics(_ side: String, _ runs: RunSelection) throws -> ViewStatistics {
                let statistics = try state.session.statistics(of: target, runs: runs, cache: runStatistics)
                guard !statistics.runs.isEmpty else {
                    throw LarderError.notFound("the \(side) (\(runs.summary)) holds no committed run of \(target.name)@\(target.version): there is nothing to compare")
                }
                return statistics
            }
            return DriftReport(baseline: try statistics("baseline", baseline), current: try statistics("current", current),
                               thresholds: thresholds, overrides: perFeature)
        }
    }
}
