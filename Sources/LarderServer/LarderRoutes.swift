import Foundation
import Hummingbird
import Larder
import Logging
import NIOCore
import NIOPosix

/// Larder's HTTP routes (semantics §8), to add to any Hummingbird router:
/// each route only translates HTTP to the ``Larder`` library.
///
/// ```swift
/// let store = try FeatureStore(path: "larder.db")
/// let router = Router()
/// LarderRoutes(store: store).add(to: router)
/// let app = Application(router: router)
/// ```
///
/// Store calls that can wait (a push's write, a historical join, the first
/// read of a request shape, which loads its views) run on NIO's blocking
/// thread pool, never on an event loop or Swift's cooperative pool; online
/// reads of a shape already seen go through its prepared ``FeatureReader``.
public struct LarderRoutes: Sendable {
    /// How the routes behave.
    public struct Options: Sendable {
        /// The token every route but `/healthz` requires as
        /// `Authorization: Bearer TOKEN`; `nil` requires none.
        public var token: String?
        /// The largest request body read, in bytes; larger ones get 413.
        public var maxBodyBytes: Int
        /// The most entities one online request may ask for.
        public var maxEntities: Int

        /// Options with no token, 64 MiB bodies and 100,000 entities per online request.
        public init(token: String? = nil, maxBodyBytes: Int = 64 << 20, maxEntities: Int = 100_000) {
            self.token = token
            self.maxBodyBytes = maxBodyBytes
            self.maxEntities = maxEntities
        }
    }

    /// The store the routes answer from.
    public let store: FeatureStore
    /// The options.
    public let options: Options
    /// The metrics the routes record and `/metrics` shows.
    public let metrics: ServerMetrics
    let readers: ReaderCache
    /// Where access lines go.
    let logger: Logger

    /// Routes over `store`, recording into `metrics` and logging one access
    /// line per request to `logger`.
    public init(store: FeatureStore, options: Options = Options(), metrics: ServerMetrics = ServerMetrics(),
                logger: Logger = Logger(label: "larder.server")) {
        self.store = store
        self.options = options
        self.metrics = metrics
        self.logger = logger
        readers = ReaderCache(store: store)
    }

    /// Adds the routes to `router`: `/healthz`, `/readyz`, `/metrics` and
    /// `/v1/…`, behind the access log, the metrics, the JSON error answers
    /// and (with a token) bearer authentication.
    public func add<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group()
            .add(middleware: AccessMiddleware<Context>(logger: logger, metrics: metrics))
            .add(middleware: ErrorMiddleware<Context>())
        group.get("healthz") { _, _ in Response.json(#"{"status":"ok"}"#) }
        let guarded = group.add(middleware: BearerAuthMiddleware<Context>(token: options.token))
        guarded.get("readyz") { _, _ in try await self.ready() }
        guarded.get("metrics") { _, _ in try await self.metricsResponse() }
        guarded.get("v1/views") { _, _ in try await self.blocking { try $0.registry.catalogJSON() } }
        guarded.get("v1/views/:name") { _, context in
            let name = try context.parameters.require("name")
            return try await self.blocking { try $0.registry.view(name).json() }
        }
        guarded.get("v1/feature-sets") { _, _ in try await self.blocking { try $0.registry.featureSetsJSON() } }
        guarded.get("v1/runs/:view") { request, context in
            let view = try context.parameters.require("view")
            let limit = try request.uri.queryParameters["limit"].map { text throws(ServerError) -> Int in
                guard let n = Int(text), n > 0 else { throw .badRequest("limit \"\(text)\" is not a positive integer") }
                return n
            }
            return try await self.blocking { try $0.runs(view: view, limit: limit).json() }
        }
        guarded.post("v1/online-features") { request, _ in try await self.online(request) }
        guarded.post("v1/push/:view") { request, context in try await self.push(request, view: try context.parameters.require("view")) }
        guarded.post("v1/historical-features") { request, _ in try await self.historical(request) }
    }

    // MARK: Steps shared by the routes

    /// Runs `body` with the store on NIO's blocking thread pool and answers
    /// its JSON text.
    func blocking(_ body: @escaping @Sendable (FeatureStore) throws -> String) async throws -> Response {
        let store = store
        return Response.json(try await NIOThreadPool.singleton.runIfActive { try body(store) })
    }

    /// The request's body, at most ``Options/maxBodyBytes``: a declared
    /// length over the limit gets 413 before any byte is read, a body that
    /// grows past it as soon as it does.
    func bodyBuffer(_ request: Request) async throws -> ByteBuffer {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > options.maxBodyBytes {
            throw tooLarge(declared)
        }
        do {
            return try await request.body.collect(upTo: options.maxBodyBytes)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(nil)
        }
    }

    /// The request's body as bytes (``bodyBuffer(_:)``).
    func body(_ request: Request) async throws -> [UInt8] {
        var buffer = try await bodyBuffer(request)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    private func tooLarge(_ declared: Int?) -> ServerError {
        ServerError(.contentTooLarge, code: "payload_too_large",
                    "the body\(declared.map { " (\($0) bytes)" } ?? "") is larger than the limit of \(options.maxBodyBytes) bytes (--max-body-mb)")
    }

    // MARK: Media types

    /// The media types of JSON Lines bodies.
    static let jsonLinesTypes = ["application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"]
    /// The media types of Arrow IPC bodies (the stream and the file format).
    static let arrowTypes = ["application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.file"]
    /// The bodies a spine is read from (`POST /v1/historical-features`), by media type.
    static let spineTypes: [(type: String, format: IngestOptions.Format)] =
        [("text/csv", .csv)] + jsonLinesTypes.map { ($0, .jsonl) } + arrowTypes.map { ($0, .arrow) }
    /// The bodies a push is read from (`POST /v1/push/{view}`), by media
    /// type: a spine's, and a JSON object of columns.
    static let pushTypes: [(type: String, format: IngestOptions.Format)] = spineTypes + [("application/json", .jsonColumns)]

    /// The format of the request's body among `accepted`.
    ///
    /// - Throws: a 415 ``ServerError`` naming every type of `accepted`.
    static func bodyFormat(_ request: Request, accepted: [(type: String, format: IngestOptions.Format)]) throws(ServerError)
        -> IngestOptions.Format {
        let type = mediaType(request)
        guard let format = accepted.first(where: { $0.type == type })?.format else {
            throw ServerError.unsupportedMediaType(type, accepted: accepted.map(\.type))
        }
        return format
    }

    /// The media type of the request's body, lowercased, without parameters
    /// or surrounding spaces.
    static func mediaType(_ request: Request) -> String? {
        request.headers[.contentType].map(mediaType)
    }

    /// The media type of a `Content-Type` or `Accept` item: lowercased,
    /// without parameters or surrounding spaces.
    static func mediaType(_ field: some StringProtocol) -> String {
        let type = field.prefix { $0 != ";" }
        let start = type.firstIndex { $0 != " " && $0 != "\t" } ?? type.endIndex
        let end = type.lastIndex { $0 != " " && $0 != "\t" }.map(type.index(after:)) ?? start
        return type[start..<end].lowercased()
    }

    /// 200 when the store answers and the cache holds what it may (its
    /// statistics could be read), 503 otherwise.
    private func ready() async throws -> Response {
        do {
            let views = try await NIOThreadPool.singleton.runIfActive { [store] in try store.cacheStatistics().count }
            return Response.json(#"{"status":"ready","cached_views":\#(views)}"#)
        } catch {
            throw ServerError(.serviceUnavailable, code: "not_ready", "the store does not answer: \(ServerError(error).message)")
        }
    }

    private func metricsResponse() async throws -> Response {
        let text = try await NIOThreadPool.singleton.runIfActive { [store, metrics] in try metrics.exposition(store: store) }
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
    }
}
