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
/// served within about that time.
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

    private let store: FeatureStore
    private let readers = Mutex<[Shape: Entry]>([:])

    init(store: FeatureStore) {
        self.store = store
    }

    /// The reader of `shape`: the one kept, or a new one prepared on NIO's
    /// blocking thread pool (the first request of a shape waits for it).
    func reader(_ shape: Shape) async throws -> FeatureReader {
        let now = ContinuousClock.now
        let (kept, due) = readers.withLock { readers -> (FeatureReader?, Bool) in
            guard var entry = readers[shape] else { return (nil, false) }
            guard !entry.refreshing, now - entry.prepared >= ReaderCache.refreshInterval else { return (entry.reader, false) }
            entry.refreshing = true
            readers[shape] = entry
            return (entry.reader, true)
        }
        if let kept {
            if due { refreshInBackground(shape) }
            return kept
        }
        let store = store
        let reader = try await NIOThreadPool.singleton.runIfActive { () throws -> FeatureReader in try shape.prepare(store) }
        keep(reader, for: shape, preparedAt: now)
        return reader
    }

    private func keep(_ reader: FeatureReader, for shape: Shape, preparedAt instant: ContinuousClock.Instant) {
        readers.withLock { readers in
            if readers.count >= ReaderCache.maxShapes, readers[shape] == nil { readers.removeAll() }
            readers[shape] = Entry(reader: reader, prepared: instant, refreshing: false)
        }
    }

    /// Prepares `shape`'s reader again on the thread pool; when that fails
    /// (its features are gone), forgets the shape, so that the next request
    /// prepares it itself and answers the error.
    private func refreshInBackground(_ shape: Shape) {
        let store = store
        NIOThreadPool.singleton.submit { [self] state in
            guard case .active = state else {
                readers.withLock { _ = $0.removeValue(forKey: shape) }
                return
            }
            let started = ContinuousClock.now
            do {
                keep(try shape.prepare(store), for: shape, preparedAt: started)
            } catch {
                readers.withLock { _ = $0.removeValue(forKey: shape) }
            }
        }
    }
}
