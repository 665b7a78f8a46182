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
