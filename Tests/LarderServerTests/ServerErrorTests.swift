import Foundation
import LarderTestSupport
import Testing

/// Every error code of the server, with its JSON error body, and bearer
/// authentication on and off.
@Suite(.serialized)
final class ServerErrorTests {
    let store: TestStore
    let server: ServerProcess

    init() throws {
        store = try TestStore()
        server = try ServerProcess(store: store, extra: ["--max-body-mb", "1"])
    }

    /// POSTs `json` to the online route and checks status and code.
    private func online(_ json: String, _ status: Int, _ code: String, _ message: String? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) throws {
        let reply = try server.post("/v1/online-features", json: json)
        #expect(reply.status == status, "\(json) → \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.errorCode == code, "\(json) → \(reply.text)", sourceLocation: sourceLocation)
        if let message {
            let text = (reply.json["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(text.contains(message), "\(json) → \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func badRequestsGet400NamingTheProblem() throws {
        try online("{", 400, "invalid_input", "not valid JSON")
        try online("[1]", 400, "invalid_input", "not an object")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": ["a"]}}"#, 400, "invalid_input", "entities: driver_id[0] is the string \"a\", not an int64")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1.5]}}"#, 400, "invalid_input", "not an int64")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": []}}"#, 400, "invalid_input", "entities.driver_id is empty")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {}}"#, 400, "invalid_input", "entities is empty")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1], "other": [1]}}"#, 400, "invalid_input", "other is not a join key")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1], "other": [1, 2]}}"#, 400, "invalid_input", "every key needs one per entity")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"rider_id": [1]}}"#, 400, "invalid_input", "rider_id is not a join key")
        try online(#"{"features": [], "entities": {"driver_id": [1]}}"#, 400, "invalid_input", "features is empty")
        try online(#"{"features": [1], "entities": {"driver_id": [1]}}"#, 400, "invalid_input", "features[0] is an integer")
        try online(#"{"entities": {"driver_id": [1]}}"#, 400, "invalid_input", "give features")
        try online(#"{"features": ["driver_stats:conv_rate"], "feature_set": "driver_ranking", "entities": {"driver_id": [1]}}"#, 400, "invalid_input", "not both")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1]}, "extra": 1}"#, 400, "invalid_input", "unknown field \"extra\"")
        try online(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1]}, "full_feature_names": "yes"}"#, 400, "invalid_input", "not a boolean")
        try online(#"{"features": ["not a reference"], "entities": {"driver_id": [1]}}"#, 400, "invalid_input")
        let invalidUTF8 = Array(#"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": ["#.utf8) + [0xFF, 0xFE] + Array(#""]}}"#.utf8)
        let reply = try server.request("POST", "/v1/online-features", headers: ["Content-Type": "application/json"], body: invalidUTF8)
        #expect(reply.status == 400)
        let historical = try server.request("POST", "/v1/historical-features", headers: ["Content-Type": "text/csv"],
                                            body: Array("driver_id,event_timestamp\n1001,2026-11-26T10:00:00Z\n".utf8))
        #expect(historical.status == 400)
        #expect(historical.errorCode == "invalid_input")
        let badSpine = try server.request("POST", "/v1/historical-features?features=driver_stats:city", headers: ["Content-Type": "text/csv"],
                                          body: Array("driver_id,event_timestamp\n1001,yesterday\n".utf8))
        #expect(badSpine.status == 400, "\(badSpine.text)")
        #expect(badSpine.text.contains("spine:2"))
        let badLimit = try server.request("GET", "/v1/runs/driver_stats?limit=-1")
        #expect(badLimit.status == 400)
        let columns = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "application/json"],
                                         body: Array(#"{"driver_id": [1, 2], "event_timestamp": ["2026-11-26T10:00:00Z"]}"#.utf8))
        #expect(columns.status == 400)
        #expect(columns.text.contains("has 1 values"))
    }

    @Test func unknownThingsGet404() throws {
        try online(#"{"features": ["driver_stats:nope"], "entities": {"driver_id": [1]}}"#, 404, "not_found", "nope")
        try online(#"{"features": ["nope:x"], "entities": {"driver_id": [1]}}"#, 404, "not_found")
        try online(#"{"feature_set": "nope", "entities": {"driver_id": [1]}}"#, 404, "not_found")
        for path in ["/v1/views/nope", "/v1/runs/nope"] {
            let reply = try server.request("GET", path)
            #expect(reply.status == 404, "\(path)")
            #expect(reply.errorCode == "not_found")
        }
        let route = try server.request("GET", "/v2/anything")
        #expect(route.status == 404)
        #expect(route.errorCode == "route_not_found")
        let push = try server.request("POST", "/v1/push/nope", headers: ["Content-Type": "text/csv"], body: Array("a\n1\n".utf8))
        #expect(push.status == 404)
    }

    @Test func oversizedBodiesGet413BeforeBeingReadWhole() throws {
        let big = [UInt8](repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
        let declared = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "text/csv"], body: big)
        #expect(declared.status == 413)
        #expect(declared.errorCode == "payload_too_large")
        // A chunked body with no declared length: refused once it passes the limit.
        var chunked = Array("POST /v1/online-features HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for _ in 0..<20 { chunked += Array("10000\r\n".utf8) + [UInt8](repeating: 32, count: 0x10000) + Array("\r\n".utf8) }
        chunked += Array("0\r\n\r\n".utf8)
        let streamed = try server.raw(chunked)
        #expect(streamed.status == 413)
    }

    @Test func wrongContentTypesGet415AndWrongAcceptGets406() throws {
        let online = try server.request("POST", "/v1/online-features", headers: ["Content-Type": "text/plain"], body: Array("{}".utf8))
        #expect(online.status == 415)
        #expect(online.errorCode == "unsupported_media_type")
        let push = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "application/xml"], body: Array("<a/>".utf8))
        #expect(push.status == 415)
        let none = try server.request("POST", "/v1/push/driver_stats", body: Array("x".utf8))
        #expect(none.status == 415)
        // Each 415 names every type its route reads, the Arrow file format included.
        for type in ["text/csv", "application/x-ndjson", "application/json", "application/vnd.apache.arrow.stream",
                     "application/vnd.apache.arrow.file"] {
            #expect(push.text.contains(type), "\(push.text)")
        }
        let spine = try server.request("POST", "/v1/historical-features?features=driver_stats:city", headers: ["Content-Type": "application/xml"],
                                       body: Array("<a/>".utf8))
        #expect(spine.status == 415)
        for type in ["text/csv", "application/x-ndjson", "application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.file"] {
            #expect(spine.text.contains(type), "\(spine.text)")
        }
        let spaced = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": " Text/CSV ; charset=utf-8"],
                                        body: Array("driver_id\n".utf8))
        #expect(spaced.status == 400, "a media type is read without case, parameters or spaces: \(spaced.text)")
        let arrow = try server.request("POST", "/v1/historical-features?features=driver_stats:city",
                                       headers: ["Content-Type": "application/vnd.apache.arrow.stream"], body: [1, 2, 3])
        #expect(arrow.status == 400, "an Arrow body is read, and three bytes are not Arrow")
        #expect(arrow.text.contains("Arrow IPC spine"), "\(arrow.text)")
        let accept = try server.request("POST", "/v1/historical-features?features=driver_stats:city",
                                        headers: ["Content-Type": "text/csv", "Accept": "application/pdf"],
                                        body: Array("driver_id,event_timestamp\n1001,2026-11-26T10:00:00Z\n".utf8))
        #expect(accept.status == 406)
        #expect(accept.errorCode == "not_acceptable")
    }
}

/// `--token-file`: every route but `/healthz` needs the bearer token.
@Suite(.serialized)
final class ServerAuthTests {
    let store: TestStore
    let server: ServerProcess
    static let token = "s3cr3t-token-value"

    init() throws {
        store = try TestStore()
        let tokenFile = try store.dir.write("token", ServerAuthTests.token + "\n")
        server = try ServerProcess(store: store, extra: ["--token-file", tokenFile])
    }

    @Test func everyRouteButHealthzNeedsTheToken() throws {
        #expect(try server.request("GET", "/healthz").status == 200)
        let body = #"{"features": ["driver_stats:city"], "entities": {"driver_id": [1001]}}"#
        for (method, path) in [("GET", "/readyz"), ("GET", "/metrics"), ("GET", "/v1/views"), ("GET", "/v1/views/driver_stats"),
                               ("GET", "/v1/feature-sets"), ("GET", "/v1/runs/driver_stats"), ("POST", "/v1/online-features"),
                               ("POST", "/v1/push/driver_stats"), ("POST", "/v1/historical-features")] {
            for header in [nil, "Bearer wrong", "Bearer \(ServerAuthTests.token)x", "bearer \(ServerAuthTests.token)", ServerAuthTests.token] {
                let reply = try server.request(method, path, headers: ["Content-Type": "application/json"].merging(header.map { ["Authorization": $0] } ?? [:]) { $1 },
                                               body: Array(body.utf8))
                #expect(reply.status == 401, "\(method) \(path) with \(header ?? "no header") → \(reply.status)")
                #expect(reply.errorCode == "unauthorized")
            }
        }
        let authorized = try server.post("/v1/online-features", json: body, headers: ["Authorization": "Bearer \(ServerAuthTests.token)"])
        #expect(authorized.status == 200)
        #expect(try server.request("GET", "/v1/views", headers: ["Authorization": "Bearer \(ServerAuthTests.token)"]).status == 200)
        #expect(!server.log.contains(ServerAuthTests.token))
    }
}
