import Dispatch
import Hummingbird
import Larder
import LarderServer
import LarderTestSupport
import Testing

/// Larder's routes mounted in someone else's Hummingbird application, next
/// to its own routes, called over a real loopback connection.
@Suite struct MountTests {
    /// An application of the test's own, listening on `port`.
    struct MountedApp: LoopbackServer {
        let port: UInt16
    }

    @Test func larderRoutesLiveBesideTheAppsOwn() async throws {
        let store = try TestStore()
        let larder = try FeatureStore(path: store.path)
        let router = Router()
        router.get("hello") { _, _ in "world" }
        LarderRoutes(store: larder, options: .init(token: "t")).add(to: router)
        let (ports, running) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { running.yield($0.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            // The app runs on threads of its own: other suites' synchronous
            // tests can hold every thread of the cooperative pool for longer
            // than the client's 20 s read timeout.
            group.addTask(executorPreference: DispatchExecutor.shared) { try await app.runService(gracefulShutdownSignals: []) }
            var listening = ports.makeAsyncIterator()
            let port = try #require(await listening.next())
            let server = MountedApp(port: UInt16(port))
            // The blocking socket calls run on a Dispatch thread: on Swift's
            // cooperative pool (as many threads as cores, shared with the
            // other suites) they could starve the app's own handlers.
            let replies = try await withCheckedThrowingContinuation { (done: CheckedContinuation<[Reply], any Error>) in
                DispatchQueue.global().async {
                    done.resume(with: Result {
                        [try server.request("GET", "/hello"), try server.request("GET", "/healthz"), try server.request("GET", "/v1/views"),
                         try server.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}"#,
                                         headers: ["Authorization": "Bearer t"])]
                    })
                }
            }
            #expect(replies[0].text == "world")
            #expect(replies[1].status == 200)
            #expect(replies[2].status == 401)
            #expect(replies[3].status == 200, "\(replies[3].text)")
            #expect(replies[3].text.contains(#""values":[0.112]"#))
            group.cancelAll()
        }
    }
}

/// A task executor on Dispatch's threads, not Swift concurrency's
/// cooperative pool: where a test's in-process server runs.
final class DispatchExecutor: TaskExecutor {
    /// The one executor.
    static let shared = DispatchExecutor()
    private let queue = DispatchQueue(label: "larder.test.server", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
