import Hummingbird
import Larder
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

/// The standalone feature server that `larder serve` runs: Larder's routes
/// (``LarderRoutes``) and the web UI (``LarderUI``) in a Hummingbird application, with JSON errors
/// for unknown routes too, an idle timeout for slow clients, and graceful
/// shutdown on SIGINT and SIGTERM (stop accepting, finish the requests in
/// flight, then return so the caller closes the store).
public enum FeatureServer {
    /// Where and how the server listens.
    public struct Configuration: Sendable {
        /// The address to bind: loopback by default.
        public var host: String
        /// The port; 0 picks a free one.
        public var port: Int
        /// How long a connection may stay silent (a slow body included)
        /// before it is closed.
        public var idleTimeout: Duration
        /// The routes' options (token, body limit).
        public var routes: LarderRoutes.Options
        /// Whether the web UI (``LarderUI``) is served under `/ui/`.
        public var ui: Bool
        /// The training-set manifests the UI's drift page offers as baselines.
        public var manifests: ManifestFolder?

        /// `127.0.0.1:6566`, a 30 s idle timeout, the routes' default options, the UI on, no manifests.
        public init(host: String = "127.0.0.1", port: Int = 6566, idleTimeout: Duration = .seconds(30),
                    routes: LarderRoutes.Options = LarderRoutes.Options(), ui: Bool = true, manifests: ManifestFolder? = nil) {
            self.host = host
            self.port = port
            self.idleTimeout = idleTimeout
            self.routes = routes
            self.ui = ui
            self.manifests = manifests
        }
    }

    /// The application serving `store`; `onRunning` is called with the
    /// port once it listens.
    public static func application(store: FeatureStore, configuration: Configuration, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: ErrorMiddleware())
        let routes = LarderRoutes(store: store, options: configuration.routes, logger: logger)
        routes.add(to: router)
        if configuration.ui {
            LarderUI(store: store, token: configuration.routes.token, manifests: configuration.manifests, metrics: routes.metrics, logger: logger).add(to: router)
        }
        let idle = configuration.idleTimeout.components
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000))),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "larder"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger
        )
    }

    /// Makes NIO's event loops the executor of every Swift task in this
    /// process, so that a request's handler runs on the event loop that read
    /// it instead of hopping to Swift's global thread pool and back (the
    /// hops cost more than the lookup). Call it once, from the main thread,
    /// before the server starts; `larder serve` does. Blocking work in
    /// Larder's routes already runs on NIO's thread pool, never on an event
    /// loop. A Swift application that mounts Larder's routes in its own
    /// server decides this for itself.
    ///
    /// - Returns: whether the event loops took over (false when another
    ///   executor hook was installed first).
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Gives NIO's blocking thread pool — where pushes, historical joins
    /// and registry reads run — `threads` threads instead of one per core,
    /// so that pushes arriving while another commits wait for the store's
    /// write lock together and commit in one transaction (group commit)
    /// rather than queueing for a thread. Call it once, from the main
    /// thread, before anything uses the pool; `larder serve` does. A second
    /// call stops the process (NIO allows the size to be set once).
    public static func sizeBlockingPool(threads: Int = blockingThreads) {
        NIOSingletons.blockingPoolThreadCountSuggestion = threads
    }

    /// The blocking pool's threads in `larder serve`: a thread waiting for
    /// the write lock costs its stack and nothing else.
    public static let blockingThreads = 16

    /// Serves `store` until SIGINT or SIGTERM, then shuts down gracefully.
    public static func run(store: FeatureStore, configuration: Configuration, logger: Logger,
                           onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = application(store: store, configuration: configuration, logger: logger, onRunning: onRunning)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
