import Larder
import PostgresNIO

extension PostgresSession: StatisticsSource {
    /// In one read transaction, so the runs listed and their sketches agree.
    func statistics(of view: FeatureView, runs selection: RunSelection, cache: RunStatisticsCache) throws -> ViewStatistics {
        try link.reading { try merged(view: view, selection: selection, cache: cache) }
    }

    /// ``statistics(of:runs:cache:)`` inside its read transaction.
    private func merged(view: FeatureView, selection: RunSelection, cache: RunStatisticsCache) throws -> ViewStatistics {
        var binds = PostgresBindings(view.name, Int64(view.version))
        binds.append(selection.from?.microseconds)
        binds.append(selection.to?.microseconds)
        binds.append(selection.ids)
        let runs = try link.query("""
            SELECT id, EXISTS (SELECT 1 FROM run_statistics WHERE run_id = runs.id) FROM runs
            WHERE view = $1 AND version = $2 AND committed_at > 0
              AND ($3::bigint IS NULL OR committed_at >= $3) AND ($4::bigint IS NULL OR committed_at < $4)
              AND ($5::bigint[] IS NULL OR id = ANY($5))
            ORDER BY id
            """, binds).rows
        var result = ViewStatistics(view: view.name, version: view.version, features: view.features.map { FeatureStatistics(name: $0.name, type: $0.type) })
        for r in runs {
            let c = PostgresCursor(r)
            if c.int64(1) != 0 { result.runs.append(c.int64(0)) } else { result.runsWithoutStatistics.append(c.int64(0)) }
        }
        if let ids = selection.ids {
            let found = Set(result.runs + result.runsWithoutStatistics)
            if let missing = ids.first(where: { !found.contains($0) }) {
                throw LarderError.notFound("run \(missing) is not a committed run of \(view.name)@\(view.version) (see `larder runs \(view.name)`)")
            }
        }
        let features = view.features.map { (name: $0.name, type: $0.type) }
        let entries = try result.runs.map { run in
            try cache.entry(run: run) {
                var entry = RunStatisticsCache.RunEntry(positions: [], statistics: [])
                for r in try link.query("SELECT position, type, sketch FROM run_statistics WHERE run_id = $1 ORDER BY position", PostgresBindings(run)).rows {
                    let c = PostgresCursor(r)
                    try entry.append(position: Int(c.int64(0)), typeName: c.text(1), sketch: c.withBytes(2) { Array($0) },
                                     features: features,
                                     mismatch: .corruptStore(path: location, message: "run \(run)'s statistics do not match the features of \(view.name)@\(view.version)"))
                }
                return entry
            }
        }
        // A run id is of one view version (the query above), so its entry was checked against these features.
        result.merge(entries)
        return result
    }
}
