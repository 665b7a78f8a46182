import Hummingbird
import Larder

/// An error answered as `{"error": {"code": …, "message": …}}` (with
/// `problems`, the refused input's lines, for a validation error) and an
/// HTTP status: the one table from Larder's error categories to statuses.
public struct ServerError: HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A stable code: a ``LarderError/Category`` name, or `unauthorized`,
    /// `payload_too_large`, `unsupported_media_type`, `not_acceptable`,
    /// `route_not_found`, `bad_request`.
    public let code: String
    /// What went wrong, naming the input it concerns.
    public let message: String
    /// The first problem lines of refused input (at most 20).
    public let problems: [ValidationProblem]

    /// An error of `status` with `code` and `message`.
    public init(_ status: HTTPResponse.Status, code: String, _ message: String, problems: [ValidationProblem] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems
    }

    /// The answer to `error`: Larder's categories by table, Hummingbird's
    /// own errors (an oversized body, an unknown route) by their status,
    /// anything else as a 500 that names no internals.
    public init(_ error: any Error) {
        switch error {
        case let error as ServerError: self = error
        case let error as LarderError:
            let status: HTTPResponse.Status = switch error.category {
            case .invalidInput: .badRequest
            case .notFound: .notFound
            case .conflict: .conflict
            default: .internalServerError
            }
            self.init(status, code: error.category.name, error.message, problems: error.problems)
        case let error as HTTPError:
            let code = switch error.status {
            case .contentTooLarge: "payload_too_large"
            case .notFound: "route_not_found"
            case .unsupportedMediaType: "unsupported_media_type"
            default: "bad_request"
            }
            self.init(error.status, code: code, error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            self.init(error.status, code: "bad_request", error.status.reasonPhrase)
        default:
            self.init(.internalServerError, code: "internal", "the server failed to answer: \(error)")
        }
    }

    /// 400: the request's body or parameters are not what the route reads.
    static func badRequest(_ message: String) -> ServerError { ServerError(.badRequest, code: "invalid_input", message) }

    /// 415: a body in a format the route does not read.
    static func unsupportedMediaType(_ given: String?, accepted: [String]) -> ServerError {
        ServerError(.unsupportedMediaType, code: "unsupported_media_type",
                    "Content-Type \(given.map { "\"\($0)\"" } ?? "(none)") is not read here; send \(accepted.joined(separator: ", "))")
    }

    /// The JSON body.
    var json: String {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if !problems.isEmpty { error["problems"] = .array(problems.map { .string($0.description) }) }
        return JSONValue.object(["error": .object(error)]).rendered
    }

    /// The response: the status and the JSON body.
    /// A 413 also closes the connection, so that the rest of the body is
    /// not read.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response.json(json, status: status)
        if status == .contentTooLarge { response.headers[.connection] = "close" }
        return response
    }
}

extension Response {
    /// A response of `status` with the JSON text `json`.
    static func json(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
    }
}
