import Larder
import NIOPosix
import Synchronization

/// The prepared readers of the online route, one per request shape (the
/// features or feature set asked for, and the naming), so that a shape's
/// names, versions and views are resolved once. A reader older than
/// ``maxAge`` is prepared again, so definitions applied while the server
/// runs (a new view version, a changed feature set) are served within
/// that time.
final class ReaderCache: Sendable {
    /// What an online request asks for.
    struct Shape: Hashable, Sendable {
        /// The feature references, or nil for a feature set.
        var features: [String]?
        /// The feature set's name, or nil.
        var featureSet: String?
        /// Name features `view__feature`.
        var fullNames: Bool
    }

    /// How long a prepared reader is used.
    static let maxAge: Duration = .seconds(1)
    /// The most shapes kept; past it the cache starts over.
    static let maxShapes = 1_024

    private let store: FeatureStore
    private let readers = Mutex<[Shape: (reader: FeatureReader, prepared: ContinuousClock.Instant)]>([:])

    init(store: FeatureStore) {
        self.store = store
    }

    /// The reader of `shape`: the one prepared within ``maxAge``, or a new
    /// one, prepared on NIO's blocking thread pool (it may load views into
    /// the cache).
    func reader(_ shape: Shape) async throws -> FeatureReader {
        let now = ContinuousClock.now
        if let kept = readers.withLock({ $0[shape] }), now - kept.prepared < ReaderCache.maxAge { return kept.reader }
        let store = store
        let reader = try await NIOThreadPool.singleton.runIfActive { () throws -> FeatureReader in
            if let set = shape.featureSet { return try store.reader(featureSet: set, fullNames: shape.fullNames) }
            let references = try (shape.features ?? []).map { text throws(LarderError) in try FeatureReference(parsing: text) }
            return try store.reader(features: references, fullNames: shape.fullNames)
        }
        readers.withLock { readers in
            if readers.count >= ReaderCache.maxShapes { readers.removeAll() }
            readers[shape] = (reader, now)
        }
        return reader
    }
}
