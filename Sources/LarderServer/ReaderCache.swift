import Larder
import NIOPosix
import Synchronization

/// The prepared readers of the online route, one per request shape (the
/// features or feature set asked for, and the naming), so that a shape's
/// names, versions and views are resolved once.
///
/// A reader sees every write as it commits (``FeatureReader``); what it
/// does not see is a change of definitions (a new view version, a changed
/// feature set). So a reader used for ``refreshInterval`` is prepared again
/// on NIO's thread pool while requests go on with the one they have: no
/// request waits for it, and definitions applied while the server runs are
/// served within about that time. Nor does a shape's first request wait
/// for its first reader: it is answered through the store meanwhile.
final class ReaderCache: Sendable {
    /// What an online request asks for.
    struct Shape: Hashable, Sendable {
        /// The feature references, or nil for a feature set.
        var features: [String]?
        /// The feature set's name, or nil.
        var featureSet: String?
        /// Name features `view__feature`.
        var fullNames: Bool

        /// The references the shape asks for, as the registry holds them now.
        func references(in store: FeatureStore) throws(LarderError) -> [FeatureReference] {
            if let featureSet { return try store.registry.featureSet(featureSet).features }
            return try (features ?? []).map { text throws(LarderError) in try FeatureReference(parsing: text) }
        }

        /// A reader of the shape, prepared now (it may load views into the cache).
        func prepare(_ store: FeatureStore) throws(LarderError) -> FeatureReader {
            if let featureSet { return try store.reader(featureSet: featureSet, fullNames: fullNames) }
            return try store.reader(features: references(in: store), fullNames: fullNames)
        }
    }

    /// How long a reader is used before it is prepared again in the background.
    static let refreshInterval: Duration = .seconds(1)
    /// The most shapes kept; past it the cache starts over.
    static let maxShapes = 1_024

    private struct Entry {
        var reader: FeatureReader
        var prepared: ContinuousClock.Instant
        var refreshing: Bool
    }

    /// The readers kept, and the shapes whose first reader is being prepared.
    private struct State {
        var entries: [Shape: Entry] = [:]
        var preparing: Set<Shape> = []
    }

    private let store: FeatureStore
    private let state = Mutex(State())

    init(store: FeatureStore) {
        self.store = store
    }

    /// The reader of `shape` if one is prepared; otherwise nil, at once, and
    /// one is being prepared on NIO's blocking thread pool (once, however
    /// many requests ask meanwhile). Preparing may bring a large view into
    /// the cache (seconds at 10M rows without a snapshot file), so a
    /// request that finds no reader is answered through the store
    /// (``FeatureStore/onlineFeatures(entities:features:fullNames:asOf:)``),
    /// which does not wait for it.
    func reader(_ shape: Shape) -> FeatureReader? {
        let now = ContinuousClock.now
        let (kept, due, first) = state.withLock { state -> (FeatureReader?, Bool, Bool) in
            guard var entry = state.entries[shape] else {
                return (nil, false, state.preparing.insert(shape).inserted)
            }
            guard !entry.refreshing, now - entry.prepared >= ReaderCache.refreshInterval else { return (entry.reader, false, false) }
            entry.refreshing = true
            state.entries[shape] = entry
            return (entry.reader, true, false)
        }
        if due || first { prepareInBackground(shape) }
        return kept
    }

    private func keep(_ reader: FeatureReader, for shape: Shape, preparedAt instant: ContinuousClock.Instant) {
        state.withLock { state in
            if state.entries.count >= ReaderCache.maxShapes, state.entries[shape] == nil { state.entries.removeAll() }
            state.entries[shape] = Entry(reader: reader, prepared: instant, refreshing: false)
            state.preparing.remove(shape)
        }
    }

    /// Prepares `shape`'s reader (again) on the thread pool; when that fails
    /// (its features are gone or never were), forgets the shape, so that the
    /// next request is answered through the store, which answers the error.
    private func prepareInBackground(_ shape: Shape) {
        let store = store
        NIOThreadPool.singleton.submit { [self] poolState in
            let started = ContinuousClock.now
            guard case .active = poolState, let reader = try? shape.prepare(store) else {
                state.withLock { state in
                    state.entries.removeValue(forKey: shape)
                    state.preparing.remove(shape)
                }
                return
            }
            keep(reader, for: shape, preparedAt: started)
        }
    }
}
