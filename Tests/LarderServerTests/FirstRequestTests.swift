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
        let (ports, running) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { running.yield($0.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: DispatchExecutor.shared) { try await app.runService(gracefulShutdownSignals: []) }
            var listening = ports.makeAsyncIterator()
            let server = MountTests.MountedApp(port: UInt16(try #require(await listening.next())))
            let request = #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}"#
            let replies = try await withCheckedThrowingContinuation { (done: CheckedContinuation<[Reply], any Error>) in
                DispatchQueue.global().async {
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
                    done.resume(with: Result {
                        #expect(!cachedMeanwhile, "the first request was answered by the store")
                        // Once the cache is free, the shape's reader is prepared and answers.
                        return [try first.get(), try server.post("/v1/online-features", json: request)]
                    })
                }
            }
            for reply in replies {
                #expect(reply.status == 200, "\(reply.text)")
                #expect(reply.text.contains(#""values":[0.112]"#), "\(reply.text)")
            }
            group.cancelAll()
        }
    }
}
