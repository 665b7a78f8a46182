import Foundation
import LarderTestSupport
import Testing

/// Malformed, oversized and slow requests: each gets its 4xx, and the
/// server keeps answering `/healthz` with flat memory.
@Suite(.serialized)
final class HostileInputTests {
    let store: TestStore
    let server: ServerProcess

    init() throws {
        store = try TestStore()
        server = try ServerProcess(store: store, extra: ["--max-body-mb", "16"])
    }

    /// One hostile request: its bytes as sent, and the statuses it may get.
    struct Case {
        let name: String
        let bytes: [UInt8]
        var pieces = 1
        var pause: useconds_t = 0
        let expected: Set<Int>
    }

    static func request(_ method: String, _ path: String, type: String? = "application/json", headers: [String] = [],
                        body: [UInt8]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if let type { head += "Content-Type: \(type)\r\n" }
        for header in headers { head += header + "\r\n" }
        return Array((head + "\r\n").utf8) + body
    }

    static func online(_ body: String) -> [UInt8] { request("POST", "/v1/online-features", body: Array(body.utf8)) }

    static var cases: [Case] {
        let valid = #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001]}}"#
        let million = "[" + Array(repeating: "1", count: 1_000_000).joined(separator: ",") + "]"
        var cases: [Case] = [
            Case(name: "truncated JSON", bytes: online("{\"features\": [\"driver"), expected: [400]),
            Case(name: "trailing garbage", bytes: online(valid + "}}"), expected: [400]),
            Case(name: "empty body", bytes: online(""), expected: [400]),
            Case(name: "a number", bytes: online("42"), expected: [400]),
            Case(name: "a string", bytes: online(#""features""#), expected: [400]),
            Case(name: "null", bytes: online("null"), expected: [400]),
            Case(name: "features an object", bytes: online(#"{"features": {"a": 1}, "entities": {"driver_id": [1]}}"#), expected: [400]),
            Case(name: "entities a list", bytes: online(#"{"features": ["driver_stats:city"], "entities": [1, 2]}"#), expected: [400]),
            Case(name: "entity values an object", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": {"a": 1}}}"#), expected: [400]),
            Case(name: "nested entity values", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": [[1]]}}"#), expected: [400]),
            Case(name: "boolean key", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": [true]}}"#), expected: [400]),
            Case(name: "key beyond int64", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": [99999999999999999999999]}}"#), expected: [400]),
            Case(name: "10^6-element entity list", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": "# + million + "}}"), expected: [400]),
            Case(name: "10^6-element features list", bytes: online(#"{"features": "# + million + #", "entities": {"driver_id": [1]}}"#), expected: [400]),
            Case(name: "10^5-deep arrays", bytes: online(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)), expected: [400]),
            Case(name: "10^5-deep objects", bytes: online(String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)), expected: [400]),
            Case(name: "10^5-deep in entities", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": "# + String(repeating: "[", count: 100_000) + "}"), expected: [400]),
            Case(name: "invalid UTF-8 in a string", bytes: request("POST", "/v1/online-features", body: Array(#"{"features": [""#.utf8) + [0xC3, 0x28] + Array(#""], "entities": {"driver_id": [1]}}"#.utf8)), expected: [400]),
            Case(name: "invalid UTF-8 bytes only", bytes: request("POST", "/v1/online-features", body: [0xFF, 0xFE, 0xFD, 0x80]), expected: [400]),
            Case(name: "NUL bytes", bytes: request("POST", "/v1/online-features", body: [0, 0, 0, 0]), expected: [400]),
            Case(name: "Arrow spine of garbage", bytes: request("POST", "/v1/historical-features?features=driver_stats:city",
                                                                type: "application/vnd.apache.arrow.stream",
                                                                body: [0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0x7F] + Array(repeating: 0xAB, count: 64)), expected: [400]),
            Case(name: "Arrow file push of garbage", bytes: request("POST", "/v1/push/driver_stats", type: "application/vnd.apache.arrow.file",
                                                                   body: Array("ARROW1\0\0".utf8) + Array(repeating: 0xFF, count: 64) + Array("ARROW1".utf8)), expected: [400]),
            Case(name: "huge number", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": [1e999]}}"#), expected: [400]),
            Case(name: "a 10^6-character feature name", bytes: online(#"{"features": [""# + String(repeating: "x", count: 1_000_000) + #""], "entities": {"driver_id": [1]}}"#), expected: [400, 404]),
            Case(name: "an SQL-ish feature", bytes: online(#"{"features": ["driver_stats:city; DROP TABLE runs"], "entities": {"driver_id": [1]}}"#), expected: [400, 404]),
            Case(name: "text/plain online", bytes: request("POST", "/v1/online-features", type: "text/plain", body: Array(valid.utf8)), expected: [415]),
            Case(name: "text/html online", bytes: request("POST", "/v1/online-features", type: "text/html", body: Array(valid.utf8)), expected: [415]),
            Case(name: "form push", bytes: request("POST", "/v1/push/driver_stats", type: "application/x-www-form-urlencoded", body: Array("a=1".utf8)), expected: [415]),
            Case(name: "multipart push", bytes: request("POST", "/v1/push/driver_stats", type: "multipart/form-data; boundary=x", body: Array("--x--".utf8)), expected: [415]),
            Case(name: "JSON spine", bytes: request("POST", "/v1/historical-features?features=driver_stats:city", body: Array("{}".utf8)), expected: [415]),
            Case(name: "push of garbage CSV", bytes: request("POST", "/v1/push/driver_stats", type: "text/csv", body: Array("\"unterminated,\n1,2\n".utf8)), expected: [400]),
            Case(name: "push of invalid UTF-8 CSV", bytes: request("POST", "/v1/push/driver_stats", type: "text/csv", body: Array("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1001,2026-11-26T10:00:00Z,0.1,0.1,1,".utf8) + [0xFF, 0xFE, 10]), expected: [400]),
            Case(name: "push of JSON Lines with a list", bytes: request("POST", "/v1/push/driver_stats", type: "application/x-ndjson", body: Array("[1,2]\n".utf8)), expected: [400]),
            Case(name: "push columns not arrays", bytes: request("POST", "/v1/push/driver_stats", body: Array(#"{"driver_id": 1}"#.utf8)), expected: [400]),
            Case(name: "push 10^5-deep JSON", bytes: request("POST", "/v1/push/driver_stats", body: Array((String(repeating: "[", count: 100_000)).utf8)), expected: [400]),
            Case(name: "spine without keys", bytes: request("POST", "/v1/historical-features?features=driver_stats:city", type: "text/csv", body: Array("a,b\n1,2\n".utf8)), expected: [400]),
            Case(name: "bad as_of", bytes: request("POST", "/v1/historical-features?features=driver_stats:city&as_of=soon", type: "text/csv", body: Array("driver_id,event_timestamp\n1,2026-11-26T10:00:00Z\n".utf8)), expected: [400]),
            Case(name: "bad flag", bytes: request("POST", "/v1/push/driver_stats?assume_utc=maybe", type: "text/csv", body: Array("x\n".utf8)), expected: [400]),
            Case(name: "unknown route", bytes: request("GET", "/v1/nothing", type: nil, body: []), expected: [404]),
            Case(name: "unknown deep route", bytes: request("GET", "/" + Array(repeating: "a", count: 200).joined(separator: "/"), type: nil, body: []), expected: [404]),
            Case(name: "wrong method", bytes: request("DELETE", "/v1/views", type: nil, body: []), expected: [404, 405]),
            Case(name: "GET on a POST route", bytes: request("GET", "/v1/online-features", type: nil, body: []), expected: [404, 405]),
            Case(name: "path traversal", bytes: request("GET", "/v1/views/..%2F..%2Fetc%2Fpasswd", type: nil, body: []), expected: [404]),
            Case(name: "oversized declared body", bytes: Array("POST /v1/online-features HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{".utf8), expected: [413]),
            Case(name: "oversized body sent", bytes: online("[" + String(repeating: "1,", count: 9_000_000) + "1]"), expected: [413]),
            Case(name: "slow malformed body", bytes: online(#"{"features": ["driver_stats:city"], "entities": {"driver_id": [1, "#), pieces: 8, pause: 100_000, expected: [400]),
            Case(name: "slow headers", bytes: online("{"), pieces: 12, pause: 50_000, expected: [400]),
            Case(name: "header flood (5,000 headers)", bytes: request("POST", "/v1/online-features", headers: (0..<5_000).map { "X-Flood-\($0): \($0)" }, body: Array(valid.utf8)), expected: [400, 413, 431]),
            Case(name: "one 200 KB header", bytes: request("POST", "/v1/online-features", headers: ["X-Big: " + String(repeating: "b", count: 200_000)], body: Array(valid.utf8)), expected: [400, 413, 431]),
            Case(name: "garbage request line", bytes: Array("NOT HTTP AT ALL\r\n\r\n".utf8), expected: [400]),
        ]
        cases.append(Case(name: "bad Accept", bytes: request("POST", "/v1/historical-features?features=driver_stats:city", type: "text/csv",
                                                             headers: ["Accept: image/png"], body: Array("driver_id,event_timestamp\n1,2026-11-26T10:00:00Z\n".utf8)),
                          expected: [406]))
        return cases
    }

    @Test func everyHostileRequestGetsItsErrorAndTheServerStaysWell() throws {
        let cases = HostileInputTests.cases
        #expect(cases.count >= 40)
        var memory: [Int] = []
        for round in 0..<3 {
            for hostile in cases {
                let reply = try server.raw(hostile.bytes, pieces: hostile.pieces, pause: hostile.pause)
                if round == 0 {
                    #expect(hostile.expected.contains(reply.status), "\(hostile.name): \(reply.status) \(reply.text.prefix(300))")
                    if reply.status != 400 || reply.errorCode != nil || reply.body.isEmpty {
                        // A JSON error body whenever the server wrote one.
                        #expect(reply.body.isEmpty || reply.errorCode != nil, "\(hostile.name): \(reply.text.prefix(300))")
                    }
                }
                let health = try server.request("GET", "/healthz")
                #expect(health.status == 200, "after \(hostile.name)")
            }
            memory.append(server.residentBytes)
        }
        // After the first round has grown the allocator's pools, more rounds cost nothing.
        #expect(memory[2] - memory[1] < 24 << 20, "resident memory by round: \(memory.map { $0 >> 20 }) MB")
        let valid = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:city"], "entities": {"driver_id": [1001]}}"#)
        #expect(valid.status == 200)
        #expect(server.process.isRunning)
    }
}
