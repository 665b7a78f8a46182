/// What `stats` and `drift` ask of the storage engine: the statistics that
/// runs recorded (``RunSink/record(_:)``), merged. SQLite implements it in
/// `SQLiteEngine/`.
package protocol StatisticsSource {
    /// The committed runs of `view` (this version) that `runs` picks, oldest
    /// first, and their statistics merged; runs committed before statistics
    /// were recorded are listed apart. Fails with `notFound` when a run asked
    /// for by id is not a committed run of this version. Each run's sketches
    /// are decoded once and kept in `cache`.
    func statistics(of view: FeatureView, runs: RunSelection, cache: RunStatisticsCache) throws -> ViewStatistics
}
