import Foundation
import Hummingbird
import Larder
import Logging
import NIOCore
import NIOPosix

/// The web UI under `/ui/` (docs/ui.md): the catalog, view versions and
/// their runs, each feature's distribution, drift between two sets of
/// runs, and the backfill ledger, as server-rendered HTML with inline SVG
/// charts and no JavaScript. Statistics come from the runs' sketches, never
/// from rows.
///
/// With a token, every page but the login form needs it: as the API's
/// `Authorization: Bearer` header, or as the HttpOnly, SameSite=Strict
/// cookie the login form (`/ui/login`) sets.
public struct LarderUI: Sendable {
    /// The store the pages show.
    public let store: FeatureStore
    /// The token the pages require; `nil` requires none.
    public let token: String?
    /// The training-set manifests the drift page offers as baselines; `nil` offers none.
    public let manifests: ManifestFolder?
    let metrics: ServerMetrics
    let logger: Logger

    /// The UI over `store`, requiring `token` when given and offering the
    /// manifests of `manifests` as drift baselines; requests are counted in
    /// `metrics` and logged to `logger` like the API's.
    public init(store: FeatureStore, token: String?, manifests: ManifestFolder? = nil, metrics: ServerMetrics = ServerMetrics(),
                logger: Logger = Logger(label: "larder.server")) {
        self.store = store
        self.token = token
        self.manifests = manifests
        self.metrics = metrics
        self.logger = logger
    }

    /// Adds the pages under `/ui/` to `router`.
    public func add<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group("ui")
            .add(middleware: AccessMiddleware<Context>(logger: logger, metrics: metrics))
            .add(middleware: UIErrorMiddleware<Context>())
        let login = UILogin(token: token)
        group.get("login") { request, _ in login.form(request) }
        group.post("login") { request, _ in try await login.submit(request) }
        group.post("logout") { _, _ in login.logout() }
        let pages = group.add(middleware: UIAuthMiddleware<Context>(login: login))
        pages.get("/") { request, _ in try await self.page(request) { store, query in try CatalogPage.render(store, query: query) } }
        pages.get("ledger") { request, _ in try await self.page(request) { store, _ in try LedgerPage.render(store) } }
        pages.get("views/:view") { request, context in
            let view = try context.parameters.require("view")
            return try await self.page(request) { store, query in try ViewPage.render(store, view: view, query: query) }
        }
        pages.get("views/:view/runs/:run") { request, context in
            let view = try context.parameters.require("view")
            let run = try context.parameters.require("run")
            return try await self.page(request) { store, _ in try RunPage.render(store, view: view, run: run) }
        }
        pages.get("views/:view/features/:feature") { request, context in
            let view = try context.parameters.require("view")
            let feature = try context.parameters.require("feature")
            return try await self.page(request) { store, query in try FeaturePage.render(store, view: view, feature: feature, query: query) }
        }
        pages.get("views/:view/drift") { request, context in
            let view = try context.parameters.require("view")
            return try await self.page(request) { store, query in try DriftPage.render(store, view: view, query: query, manifests: self.manifests) }
        }
        pages.get("**") { _, _ -> Response in throw ServerError(.notFound, code: "route_not_found", "no such page") }
    }

    /// Renders a page on NIO's blocking thread pool (store reads can wait)
    /// and answers it as HTML.
    private func page(_ request: Request, _ render: @escaping @Sendable (FeatureStore, UIQuery) throws -> String) async throws -> Response {
        let query = try UIQuery(request)
        let store = store
        let html = try await NIOThreadPool.singleton.runIfActive { try render(store, query) }
        return UIResponse.html(html)
    }
}
