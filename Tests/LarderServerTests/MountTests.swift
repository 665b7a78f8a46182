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
        let replies = try await MountTests.serving(router) { server in
            [try server.request("GET", "/hello"), try server.request("GET", "/healthz"), try server.request("GET", "/v1/views"),
             try server.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}"#,
                             headers: ["Authorization": "Bearer t"])]
        }
        #expect(replies[0].text == "world")
        #expect(replies[1].status == 200)
        #expect(replies[2].status == 401)
        #expect(replies[3].status == 200, "\(replies[3].text)")
        #expect(replies[3].text.contains(#""values":[0.112]"#))
    }

    /// Runs an application of `router` on an ephemeral loopback port, calls
    /// `client` with it, and stops the application.
    ///
    /// The application runs on threads of its own: other suites' synchronous
    /// tests can hold every thread of the cooperative pool for longer than
    /// the client's 20 s read timeout. `client`'s blocking socket calls run
    /// on a Dispatch thread: on Swift's cooperative pool (as many threads as
    /// cores, shared with the other suites) they could starve the
    /// application's own handlers.
    static func serving<R: Sendable>(_ router: Router<BasicRequestContext>,
                                     _ client: @escaping @Sendable (MountedApp) throws -> R) async throws -> R {
        let (ports, running) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { running.yield($0.localAddress?.port ?? 0) })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: DispatchExecutor.shared) { try await app.runService(gracefulShutdownSignals: []) }
            var listening = ports.makeAsyncIterator()
            let server = MountedApp(port: UInt16(try #require(await listening.next())))
            let result = try await withCheckedThrowingContinuation { (done: CheckedContinuation<R, any Error>) in
                DispatchQueue.global().async { done.resume(with: Result { try client(server) }) }
            }
            group.cancelAll()
            return result
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
