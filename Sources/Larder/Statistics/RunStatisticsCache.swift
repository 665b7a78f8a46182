import Synchronization

/// Each committed run's statistics as decoded from its sketches, by run id,
/// so that asking again for a run's figures (a feature's trend over the
/// last runs, drift against the same baseline) does not decode the same
/// bytes again. A committed run's statistics never change and run ids are
/// never issued twice, so an entry never goes stale; the cache holds at
/// most ``capacity`` runs and forgets the least recently used first.
package final class RunStatisticsCache: Sendable {
    /// One run's decoded statistics, with each feature's position in its
    /// view version.
    package struct RunEntry: Sendable {
        /// Each feature's position in its view version.
        package var positions: [Int]
        /// The feature's statistics, in the order of ``positions``.
        package var statistics: [FeatureStatistics]

        /// Decodes one stored row of a run's statistics (the feature's
        /// position, its type's name, the serialized sketches) and adds it;
        /// `features` are the view version's, in order.
        ///
        /// - Throws: `mismatch` when the row does not match `features`, or
        ///   the sketches do not decode.
        package mutating func append(position: Int, typeName: String, sketch: [UInt8],
                                     features: [(name: String, type: FeatureType)], mismatch: @autoclosure () -> LarderError) throws {
            guard position >= 0, position < features.count, typeName == features[position].type.description else { throw mismatch() }
            positions.append(position)
            statistics.append(try FeatureStatistics(name: features[position].name, type: features[position].type, serialized: sketch))
        }

        /// An entry of `statistics` at `positions`.
        package init(positions: [Int], statistics: [FeatureStatistics]) {
            self.positions = positions
            self.statistics = statistics
        }
    }

    /// Runs kept by default: at ~10 features of a few kilobytes each, a few
    /// tens of megabytes at most.
    static let defaultCapacity = 1024

    /// The most runs kept.
    let capacity: Int
    private let state: Mutex<Kept>

    private struct Kept {
        var entries: [Int64: (entry: RunEntry, used: UInt64)] = [:]
        var clock: UInt64 = 0
        var hits = 0
    }

    /// An empty cache of at most `capacity` runs.
    init(capacity: Int = RunStatisticsCache.defaultCapacity) {
        precondition(capacity > 0, "a cache of no runs")
        self.capacity = capacity
        state = Mutex(Kept())
    }

    /// The statistics of run `id`, decoded by `decode` the first time.
    ///
    /// - Complexity: O(1) when kept; `decode`, then O(``capacity``) when a
    ///   run must be forgotten, otherwise.
    package func entry(run id: Int64, decode: () throws -> RunEntry) rethrows -> RunEntry {
        let kept = state.withLock { state -> RunEntry? in
            guard let found = state.entries[id] else { return nil }
            state.clock += 1
            state.entries[id]?.used = state.clock
            state.hits += 1
            return found.entry
        }
        if let kept { return kept }
        let entry = try decode()
        state.withLock { state in
            state.clock += 1
            state.entries[id] = (entry, state.clock)
            if state.entries.count > capacity, let oldest = state.entries.min(by: { $0.value.used < $1.value.used })?.key {
                state.entries[oldest] = nil
            }
        }
        return entry
    }

    /// How many runs are kept (for tests).
    var count: Int { state.withLock { $0.entries.count } }

    /// How many lookups found their run kept (for tests).
    var hits: Int { state.withLock { $0.hits } }
}
