extension SQLiteSession: StatisticsSource {
    /// In one read transaction, so the runs listed and their sketches agree.
    func statistics(of view: FeatureView, runs selection: RunSelection, cache: RunStatisticsCache) throws -> ViewStatistics {
        try db.transaction(.deferred) { try merged(view: view, selection: selection, cache: cache) }
    }

    /// ``statistics(of:runs:cache:)`` inside its read transaction.
    private func merged(view: FeatureView, selection: RunSelection, cache: RunStatisticsCache) throws -> ViewStatistics {
        let runs = try db.statement("""
            SELECT id, EXISTS (SELECT 1 FROM run_statistics WHERE run_id = runs.id) FROM runs
            WHERE view = ?1 AND version = ?2 AND committed_at > 0
              AND (?3 IS NULL OR committed_at >= ?3) AND (?4 IS NULL OR committed_at < ?4)
              AND (?5 IS NULL OR id IN (SELECT value FROM json_each(?5)))
            ORDER BY id
            """)
        runs.bind(view.name, at: 1)
        runs.bind(Int64(view.version), at: 2)
        if let from = selection.from { runs.bind(from.microseconds, at: 3) } else { runs.bindNull(at: 3) }
        if let to = selection.to { runs.bind(to.microseconds, at: 4) } else { runs.bindNull(at: 4) }
        if let ids = selection.ids {
            runs.bind("[" + ids.map(String.init).joined(separator: ",") + "]", at: 5)
        } else {
            runs.bindNull(at: 5)
        }
        var result = ViewStatistics(view: view.name, version: view.version, features: view.features.map { FeatureStatistics(name: $0.name, type: $0.type) })
        do {
            defer { runs.reset() }
            while try runs.step() {
                if runs.int64(1) != 0 { result.runs.append(runs.int64(0)) } else { result.runsWithoutStatistics.append(runs.int64(0)) }
            }
        }
        if let ids = selection.ids {
            let found = Set(result.runs + result.runsWithoutStatistics)
            if let missing = ids.first(where: { !found.contains($0) }) {
                throw LarderError.notFound("run \(missing) is not a committed run of \(view.name)@\(view.version) (see `larder runs \(view.name)`)")
            }
        }
        let sketches = try db.statement("SELECT position, type, sketch FROM run_statistics WHERE run_id = ? ORDER BY position")
        let features = view.features.map { (name: $0.name, type: $0.type) }
        let entries = try result.runs.map { run in
            try cache.entry(run: run) {
                sketches.bind(run, at: 1)
                defer { sketches.reset() }
                var entry = RunStatisticsCache.RunEntry(positions: [], statistics: [])
                while try sketches.step() {
                    try entry.append(position: Int(sketches.int64(0)), typeName: sketches.text(1), sketch: sketches.withBytes(2) { Array($0) },
                                     features: features,
                                     mismatch: .corruptStore(path: db.path, message: "run \(run)'s statistics do not match the features of \(view.name)@\(view.version)"))
                }
                return entry
            }
        }
        // A run id is of one view version (the query above), so its entry was checked against these features.
        result.merge(entries)
        return result
    }
}
