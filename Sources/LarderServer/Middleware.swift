import Hummingbird
import Logging
import Metrics
import NIOCore

/// Turns every error a route throws into its JSON answer (``ServerError``).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw ServerError(error)
        }
    }
}

/// One access line per request (method, path without the query, status,
/// milliseconds; never a header, so never the token) and the request
/// metrics: count and latency per route and status.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let route = context.endpointPath ?? "unknown"
        let status: HTTPResponse.Status
        do {
            let response = try await next(request, context)
            status = response.status
            record(request, route: route, status: status, since: start)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, route: route, status: status, since: start)
            throw error
        }
    }

    private func record(_ request: Request, route: String, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        metrics.request(route: route, status: status.code, duration: elapsed)
        logger.info("\(request.method) \(request.uri.path) \(status.code) \(AccessMiddleware.milliseconds(elapsed))ms")
    }
}

extension AccessMiddleware {
    /// `duration` in milliseconds with two decimals (`0.05`, `12.30`),
    /// without Foundation's formatter.
    static func milliseconds(_ duration: Duration) -> String {
        let hundredths = duration.components.seconds * 100_000 + duration.components.attoseconds / 10_000_000_000_000
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// Requires `Authorization: Bearer TOKEN` when a token is set: 401
/// otherwise. The comparison takes the same time whatever the given
/// value, and the token is never logged.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]?

    init(token: String?) {
        self.token = token.map { Array("Bearer \($0)".utf8) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard allows(request) else {
            throw ServerError(.unauthorized, code: "unauthorized", "this route needs the header Authorization: Bearer <token> with the server's token")
        }
        return try await next(request, context)
    }

    /// Whether `request` carries the token (always true with no token).
    func allows(_ request: Request) -> Bool {
        guard let token else { return true }
        return BearerAuthMiddleware.constantTimeEqual(Array((request.headers[.authorization] ?? "").utf8), token)
    }

    /// Whether `given` equals `expected`, in time that depends only on
    /// their lengths (every byte of `expected` is compared).
    static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference: UInt8 = given.count == expected.count ? 0 : 1
        for i in expected.indices {
            difference |= expected[i] ^ (i < given.count ? given[i] : 0)
        }
        return difference == 0
    }
}
