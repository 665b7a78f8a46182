import Hummingbird
import NIOCore

/// How UI pages are answered: HTML that is never cached, never framed, and
/// may run no script (the pages have none), so even a markup bug could not
/// run injected code.
enum UIResponse {
    static let securityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// `html` with `status`.
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        let headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: securityPolicy, .xContentTypeOptions: "nosniff",
        ]
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }
}

/// Turns a UI route's error into an HTML page with its status: a message
/// naming the problem and a way back to the catalog (the login form for 401).
struct UIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let error = ServerError(error)
            if error.status == .unauthorized { return UILogin.page(status: .unauthorized, next: request.uri.path, message: error.message) }
            let title = error.status == .notFound ? "Not found" : error.status.code < 500 ? "Bad request" : "Server error"
            let html = Page.render(title: title, content: [
                .element("h1", text: title),
                .element("p", ["class": "error"], text: error.message),
                .element("p", [:], [Page.link(UIPath.root, "Back to the catalog")]),
            ])
            return UIResponse.html(html, status: error.status)
        }
    }
}
