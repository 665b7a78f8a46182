import Dispatch
import Synchronization

/// The statistics of a set of ingest runs of one view version, merged from
/// the runs' sketches: what `larder stats` prints and `larder drift` compares.
public struct ViewStatistics: Sendable {
    /// The view.
    public let view: String
    /// The view version.
    public let version: Int
    /// The runs merged, oldest first.
    public package(set) var runs: [Int64] = []
    /// Runs selected that have no statistics (committed before statistics
    /// were recorded): they are not part of the figures.
    public package(set) var runsWithoutStatistics: [Int64] = []
    /// Each feature's sketches, in view order.
    package var features: [FeatureStatistics]

    /// Statistics of no run yet.
    package init(view: String, version: Int, features: [FeatureStatistics]) {
        self.view = view
        self.version = version
        self.features = features
    }

    /// Each feature's figures, in view order.
    public var summaries: [FeatureSummary] { features.map(FeatureSummary.init) }
}

extension ViewStatistics {
    /// Runs from which on ``merge(_:)`` merges the features on threads of
    /// their own: below it, starting threads costs more than it saves.
    static let parallelMergeRuns = 16

    /// Merges the runs' statistics `entries` (oldest first) into the
    /// features. Each feature is merged run by run, in the order given,
    /// so the result does not depend on how the work is spread; with many
    /// runs the features are merged concurrently (`larder stats` over 100
    /// runs spends most of its time here).
    package mutating func merge(_ entries: [RunStatisticsCache.RunEntry]) {
        guard entries.count >= ViewStatistics.parallelMergeRuns, features.count > 1 else {
            for entry in entries {
                for (position, statistics) in zip(entry.positions, entry.statistics) { features[position].merge(statistics) }
            }
            return
        }
        let start = features
        let merged = Mutex(start)
        DispatchQueue.concurrentPerform(iterations: start.count) { position in
            var feature = start[position]
            for entry in entries {
                if let i = entry.positions.firstIndex(of: position) { feature.merge(entry.statistics[i]) }
            }
            merged.withLock { $0[position] = feature }
        }
        features = merged.withLock { $0 }
    }
}
