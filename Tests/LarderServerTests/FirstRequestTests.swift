import Dispatch
import Foundation
import Hummingbird
@testable import Larder
import LarderServer
import LarderTestSupport
import Testing

/// A shape's first online request while the cache is busy bringing a view
/// in (seconds for a large view without a snapshot file, the first request
/// after a server starts on a store a CLI backfill wrote): answered through
/// the store, not after the load.
@Suite struct FirstRequestTests {
    /// The cache's transaction is held, as a load holds it, until the reply
    /// has come; a route that waited for its reader would get no reply
    /// within the client's 20 s read timeout, and the request would throw.
    @Test func aShapesFirstRequestDoesNotWaitForTheCache() async throws {
        let store = try TestStore()
        let larder = try FeatureStore(path: store.path)
        let router = Router()
        LarderRoutes(store: larder).add(to: router)
        let request = #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}"#
        let (replies, cachedMeanwhile) = try await MountTests.serving(router) { server in
            let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
            Thread {
                _ = try? larder.withReader { state in
                    try larder.cache.transaction(source: state.session) { _ in
                        holding.signal()
                        release.wait()
                    }
                }
            }.start()
            holding.wait()
            let first = Result { try server.post("/v1/online-features", json: request) }
            let cachedMeanwhile = !larder.cache.contents.snapshots.isEmpty
            release.signal()
            // With the cache free, the next request is answered too (by the reader once it is ready).
            return ([try first.get(), try server.post("/v1/online-features", json: request)], cachedMeanwhile)
        }
        #expect(!cachedMeanwhile, "the first request was answered by the store")
        for reply in replies {
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.text.contains(#""values":[0.112]"#), "\(reply.text)")
        }
    }
}
