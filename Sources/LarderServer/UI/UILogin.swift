import Foundation
import Hummingbird
import NIOCore

/// Signing in from a browser, which cannot send a bearer header from its
/// address bar: a form that takes the token and, when it matches, sets it
/// as an HttpOnly, SameSite=Strict cookie scoped to `/ui` (hex-encoded,
/// compared in constant time like the header).
struct UILogin: Sendable {
    /// The cookie's name.
    static let cookie = "larder_ui_token"
    /// The longest login form body read.
    static let maxFormBytes = 4096

    /// The token's cookie value (hex); `nil` when no token is required.
    private let expected: [UInt8]?
    /// The token as the header carries it.
    private let header: BearerAuthMiddleware<BasicRequestContext>

    init(token: String?) {
        expected = token.map { Array(UILogin.hex(Array($0.utf8)).utf8) }
        header = BearerAuthMiddleware(token: token)
    }

    /// Whether `request` carries the token, in the header or the cookie
    /// (always true with no token).
    func allows(_ request: Request) -> Bool {
        guard let expected else { return true }
        if header.allows(request) { return true }
        guard let cookie = request.cookies[UILogin.cookie]?.value else { return false }
        return BearerAuthMiddleware<BasicRequestContext>.constantTimeEqual(Array(cookie.utf8), expected)
    }

    /// `GET /ui/login`: the form.
    func form(_ request: Request) -> Response {
        UILogin.page(status: .ok, next: request.uri.queryParameters["next"].map(String.init) ?? UIPath.root, message: nil)
    }

    /// `POST /ui/login`: sets the cookie and goes on to `next` when the
    /// token matches; the form again with 401 otherwise.
    func submit(_ request: Request) async throws -> Response {
        var buffer = try await request.body.collect(upTo: UILogin.maxFormBytes)
        let form = UILogin.decodeForm(buffer.readString(length: buffer.readableBytes) ?? "")
        let next = UILogin.safeNext(form["next"])
        guard let expected else { return Response(status: .seeOther, headers: [.location: next]) }
        let given = UILogin.hex(Array((form["token"] ?? "").utf8))
        guard BearerAuthMiddleware<BasicRequestContext>.constantTimeEqual(Array(given.utf8), expected) else {
            return UILogin.page(status: .unauthorized, next: next, message: "That token is not the server's token.")
        }
        var response = Response(status: .seeOther, headers: [.location: next])
        response.setCookie(Cookie(name: UILogin.cookie, value: given, path: "/ui", httpOnly: true, sameSite: .strict))
        return response
    }

    /// `POST /ui/logout`: forgets the cookie.
    func logout() -> Response {
        var response = Response(status: .seeOther, headers: [.location: "/ui/login"])
        response.setCookie(Cookie(name: UILogin.cookie, value: "", maxAge: 0, path: "/ui", httpOnly: true, sameSite: .strict))
        return response
    }

    /// The login page with `status`, going on to `next` once signed in.
    static func page(status: HTTPResponse.Status, next: String, message: String?) -> Response {
        let html = Page.render(title: "Sign in", content: [
            .element("h1", text: "Sign in"),
            message.map { .element("p", ["class": "error", "role": "alert"], text: $0) } ?? .empty,
            .element("p", ["class": "lead"], text: "This server needs its token (the one in larder serve --token-file). It is kept in a cookie for this site only."),
            .element("form", ["method": "post", "action": "/ui/login", "class": "inline"], [
                .element("label", [:], [.text("Token"), .element("input", ["type": "password", "name": "token", "required": "", "autocomplete": "current-password"])]),
                .element("input", ["type": "hidden", "name": "next", "value": safeNext(next)]),
                .element("button", ["type": "submit"], text: "Sign in"),
            ]),
        ])
        return UIResponse.html(html, status: status)
    }

    /// `next` when it is a page of the UI, the catalog otherwise (never another site).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/ui/") || next == "/ui", !next.contains("//"), !next.contains("\\"),
              !next.hasPrefix("/ui/login"), next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return UIPath.root }
        return next
    }

    /// An `application/x-www-form-urlencoded` body's fields.
    static func decodeForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Lets a UI page through when the request carries the token (header or
/// cookie); otherwise answers 401 with the login form.
struct UIAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let login: UILogin

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard login.allows(request) else {
            throw ServerError(.unauthorized, code: "unauthorized", "Sign in with the server's token to see this page.")
        }
        return try await next(request, context)
    }
}
