import Foundation
import LarderTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every route of `larder serve`, through a real HTTP connection to the
/// server process on an ephemeral loopback port.
@Suite(.serialized)
final class ServerRouteTests {
    let store: TestStore
    let server: ServerProcess

    init() throws {
        store = try TestStore()
        server = try ServerProcess(store: store)
    }

    @Test func healthAndReadiness() throws {
        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.text == #"{"status":"ok"}"#)
        let ready = try server.request("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.json["status"] as? String == "ready")
    }

    @Test func onlineFeaturesHaveFeastsShapeWithEventTimes() throws {
        let reply = try server.post("/v1/online-features", json: """
            {"features": ["driver_stats:conv_rate", "driver_stats:city"], "entities": {"driver_id": [1002, 9999, 1001]}}
            """)
        #expect(reply.status == 200, "\(reply.text)")
        let metadata = reply.json["metadata"] as? [String: Any]
        #expect(metadata?["feature_names"] as? [String] == ["driver_id", "conv_rate", "city"])
        let results = reply.json["results"] as? [[String: Any]] ?? []
        #expect(results.count == 3)
        #expect(results.first?["values"] as? [Int] == [1002, 9999, 1001])
        let rates = results[1]["values"] as? [Any] ?? []
        #expect(rates.count == 3)
        #expect(rates.first as? Double == 0.212)
        #expect(rates[1] is NSNull)
        #expect(rates.last as? Double == 0.112)
        #expect(results[1]["statuses"] as? [String] == ["PRESENT", "NOT_FOUND", "PRESENT"])
        #expect(results[1]["event_timestamps"] as? [String] == [TestStore.latest, "1970-01-01T00:00:00Z", TestStore.latest])
        #expect((results[2]["values"] as? [Any])?.map { $0 as? String } == ["paris", nil, "paris"])
    }

    @Test func onlineFeaturesByFeatureSetWithFullNames() throws {
        let reply = try server.post("/v1/online-features", json: """
            {"feature_set": "driver_ranking", "entities": {"driver_id": [1003]}, "full_feature_names": true}
            """)
        #expect(reply.status == 200, "\(reply.text)")
        #expect((reply.json["metadata"] as? [String: Any])?["feature_names"] as? [String]
                == ["driver_id", "driver_stats__conv_rate", "driver_stats__avg_daily_trips"])
    }

    @Test func registryRoutesAnswerTheCLIsJSON() throws {
        let views = try server.request("GET", "/v1/views")
        #expect(views.status == 200)
        #expect(views.text.contains(#""kind":"feature_view","name":"driver_stats""#))
        let view = try server.request("GET", "/v1/views/driver_stats")
        #expect(view.status == 200)
        #expect(view.json["name"] as? String == "driver_stats")
        #expect(view.json["version"] as? Int == 1)
        let sets = try server.request("GET", "/v1/feature-sets")
        #expect(sets.status == 200)
        #expect(sets.text.contains(#""features":["driver_stats@1:conv_rate","driver_stats@1:avg_daily_trips"]"#))
        let runs = try server.request("GET", "/v1/runs/driver_stats")
        #expect(runs.status == 200)
        let list = (try? JSONSerialization.jsonObject(with: Data(runs.body))) as? [[String: Any]] ?? []
        #expect(list.count == 1)
        #expect(list.first?["rows"] as? Int == 9)
        for field in ["id", "version", "rows", "rejected", "content_sha256", "source", "committed_at"] {
            #expect(list.first?[field] != nil, "runs lack \(field)")
        }
    }

    @Test func historicalFeaturesStreamCSVAndJSONLines() throws {
        let spine = Array("driver_id,event_timestamp\n1001,2026-11-26T11:30:00Z\n1002,2026-11-26T12:30:00Z\n".utf8)
        let csv = try server.request("POST", "/v1/historical-features?features=driver_stats:conv_rate,driver_stats:city",
                                     headers: ["Content-Type": "text/csv"], body: spine)
        #expect(csv.status == 200, "\(csv.text)")
        #expect(csv.headers["content-type"] == "text/csv")
        #expect(csv.text == """
            driver_id,event_timestamp,conv_rate,city
            1001,2026-11-26T11:30:00.000000Z,0.111,paris
            1002,2026-11-26T12:30:00.000000Z,0.212,paris

            """)
        let jsonl = try server.request("POST", "/v1/historical-features",
                                       headers: ["Content-Type": "application/x-ndjson", "Accept": "application/x-ndjson",
                                                 "X-Larder-Feature-Set": "driver_ranking"],
                                       body: Array(#"{"driver_id": 1003, "event_timestamp": "2026-11-26T10:00:00Z"}"#.utf8))
        #expect(jsonl.status == 200, "\(jsonl.text)")
        #expect(jsonl.headers["content-type"] == "application/x-ndjson")
        #expect(jsonl.text.contains(#""conv_rate":0.31"#))
        #expect(jsonl.text.contains(#""avg_daily_trips":10"#))
    }

    @Test func arrowStreamAnswerIsReadByPyArrow() throws {
        let python = try PyArrow.interpreter()
        var spine = "driver_id,event_timestamp\n"
        for row in 0..<70_000 { spine += "\(1001 + row % 4),2026-11-26T1\(row % 3):30:00Z\n" }
        let reply = try server.request("POST", "/v1/historical-features?features=driver_stats:*",
                                       headers: ["Content-Type": "text/csv", "Accept": "application/vnd.apache.arrow.stream"],
                                       body: Array(spine.utf8))
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/vnd.apache.arrow.stream")
        let path = store.dir.file("answer.arrows")
        _ = FileManager.default.createFile(atPath: path, contents: Data(reply.body))
        let check = Process()
        check.executableURL = URL(fileURLWithPath: python)
        check.arguments = ["-c", """
            import sys, pyarrow.ipc as ipc
            t = ipc.open_stream(open(sys.argv[1], 'rb')).read_all()
            print(t.num_rows, ",".join(t.column_names), t.schema.field('event_timestamp').type,
                  t.column('conv_rate')[0].as_py(), t.column('driver_id')[3].as_py(), t.column('conv_rate')[3].null_count if False else t.column('conv_rate')[3].as_py())
            """, path]
        let out = Pipe()
        check.standardOutput = out
        try check.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
        // Row 0: driver 1001 at 10:30 → the 10:00 row; row 3: driver 1004 (no rows) → null.
        #expect(printed == "70000 driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city timestamp[us, tz=UTC] 0.11 1004 None\n")
    }

    /// Runs `script` (with `arguments`) in the pyarrow venv and returns what it printed.
    func python(_ script: String, _ arguments: [String]) throws -> String {
        let (status, output) = PyArrow.run([try PyArrow.interpreter(), "-c", script] + arguments)
        #expect(status == 0, "\(output)")
        return output
    }

    @Test func historicalFeaturesTakeAnArrowSpineAndKeepItsTypes() throws {
        let spine = store.dir.file("spine.arrows")
        _ = try python("""
            import sys, pyarrow as pa, pyarrow.ipc as ipc
            t = pa.table({"driver_id": [1001, 1002, 1001], "label": pa.array([1, None, 0], pa.int8()),
                          "event_timestamp": pa.array([1795692600, 1795696200, 1795692600], pa.timestamp("s", tz="UTC"))})
            with ipc.new_stream(sys.argv[1], t.schema) as w:
                for b in t.to_batches(max_chunksize=2): w.write_batch(b)
            """, [spine])
        let body = Array(FileManager.default.contents(atPath: spine) ?? Data())
        let csv = try server.request("POST", "/v1/historical-features?features=driver_stats:conv_rate",
                                     headers: ["Content-Type": "application/vnd.apache.arrow.stream"], body: body)
        #expect(csv.status == 200, "\(csv.text)")
        #expect(csv.text == """
            driver_id,label,event_timestamp,conv_rate
            1001,1,2026-11-26T11:30:00.000000Z,0.111
            1002,,2026-11-26T12:30:00.000000Z,0.212
            1001,0,2026-11-26T11:30:00.000000Z,0.111

            """)
        let arrow = try server.request("POST", "/v1/historical-features?features=driver_stats:conv_rate",
                                       headers: ["Content-Type": "application/vnd.apache.arrow.stream",
                                                 "Accept": "application/vnd.apache.arrow.stream"], body: body)
        #expect(arrow.status == 200)
        let answer = store.dir.file("answer.arrows")
        _ = FileManager.default.createFile(atPath: answer, contents: Data(arrow.body))
        #expect(try python("""
            import sys, pyarrow.ipc as ipc
            t = ipc.open_stream(open(sys.argv[1], 'rb')).read_all()
            print(t.schema.field('label').type, t.column('label').to_pylist(), t.column('conv_rate').to_pylist())
            """, [answer]) == "int64 [1, None, 0] [0.111, 0.212, 0.111]\n")
        let broken = try server.request("POST", "/v1/historical-features?features=driver_stats:conv_rate",
                                        headers: ["Content-Type": "application/vnd.apache.arrow.stream"], body: Array(body[..<(body.count / 2)]))
        #expect(broken.status == 400, "\(broken.text)")
        #expect(broken.text.contains("Arrow IPC spine, message"), "\(broken.text)")
    }

    @Test func anArrowPushIsOneValidatedRun() throws {
        let file = store.dir.file("push.arrow")
        _ = try python("""
            import sys, pyarrow as pa, pyarrow.ipc as ipc
            t = pa.table({"driver_id": [1001], "event_timestamp": pa.array([1795705200000], pa.timestamp("ms", tz="UTC")),
                          "conv_rate": [0.5], "acc_rate": [0.25], "avg_daily_trips": pa.array([42], pa.int32()), "city": ["tromsø"]})
            with ipc.new_file(sys.argv[1], t.schema) as w: w.write_table(t)
            """, [file])
        let push = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "application/vnd.apache.arrow.file"],
                                      body: Array(FileManager.default.contents(atPath: file) ?? Data()))
        #expect(push.status == 200, "\(push.text)")
        #expect(push.json["rows"] as? Int == 1)
        let online = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:avg_daily_trips", "driver_stats:city"], "entities": {"driver_id": [1001]}}"#)
        let results = online.json["results"] as? [[String: Any]] ?? []
        #expect(results.dropFirst().first?["values"] as? [Int] == [42])
        #expect(results.last?["values"] as? [String] == ["tromsø"])
    }

    @Test func aPushIsVisibleToTheNextOnlineRead() throws {
        for (type, body) in [("application/json", #"{"df": {"driver_id": [1001], "event_timestamp": ["2026-11-26T13:00:00Z"], "conv_rate": [0.9], "acc_rate": [0.1], "avg_daily_trips": [7], "city": ["oslo"]}}"#),
                             ("application/x-ndjson", #"{"driver_id": 1001, "event_timestamp": "2026-11-26T14:00:00Z", "conv_rate": 0.8, "acc_rate": 0.1, "avg_daily_trips": 8, "city": "oslo"}"#),
                             ("text/csv", "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1001,2026-11-26T15:00:00Z,0.7,0.1,9,lima\n")] {
            let push = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": type], body: Array(body.utf8))
            #expect(push.status == 200, "\(type): \(push.text)")
            #expect(push.json["rows"] as? Int == 1)
            #expect(push.json["run_id"] as? Int != nil)
            let online = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:avg_daily_trips"], "entities": {"driver_id": [1001]}}"#)
            let results = online.json["results"] as? [[String: Any]] ?? []
            #expect(results.last?["values"] as? [Int] == [push.json["rows"] as? Int == 1 ? (type == "application/json" ? 7 : type == "text/csv" ? 9 : 8) : -1])
        }
    }

    @Test func onlineAsOfAnswersAsTheServerWouldHaveThen() throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let before = formatter.string(from: Date())
        usleep(20_000)
        let row = #"{"driver_id": 1003, "event_timestamp": "2026-11-26T13:00:00Z", "conv_rate": 0.999, "acc_rate": 0.1, "avg_daily_trips": 1, "city": "oslo"}"#
        #expect(try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "application/x-ndjson"], body: Array(row.utf8)).status == 200)
        /// The answer's status and conv_rate ("null" for a JSON null).
        func rate(_ extra: String) throws -> String {
            let reply = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1003]}\#(extra)}"#)
            let value = ((reply.json["results"] as? [[String: Any]])?.last?["values"] as? [Any])?.first
            return "\(reply.status) \(value is NSNull ? "null" : value.map { "\($0)" } ?? "none")"
        }
        #expect(try rate("") == "200 0.999")
        #expect(try rate(#", "as_of": null"#) == "200 0.999")
        // Before the push committed: the backfill's latest row (12:00).
        #expect(try rate(#", "as_of": "\#(before)""#) == "200 0.312")
        // At 11:30 on the day of the rows, nothing was committed yet.
        #expect(try rate(#", "as_of": "2026-11-26T11:30:00Z""#) == "200 null")
        let bad = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1003]}, "as_of": "yesterday"}"#)
        #expect(bad.status == 400 && bad.text.contains("as_of"), "\(bad.text)")
        let wrongType = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1003]}, "as_of": 12}"#)
        #expect(wrongType.status == 400 && wrongType.text.contains("as_of is an integer"), "\(wrongType.text)")
    }

    @Test func definitionsAppliedWhileServingArePickedUp() throws {
        let body = #"{"feature_set": "driver_ranking", "entities": {"driver_id": [1001]}}"#
        func names() throws -> [String] {
            ((try server.post("/v1/online-features", json: body).json["metadata"] as? [String: Any])?["feature_names"] as? [String]) ?? []
        }
        #expect(try names() == ["driver_id", "conv_rate", "avg_daily_trips"])
        let defs = try store.dir.write("defs2.yaml", TestStore.definitions.replacingOccurrences(
            of: "features: [driver_stats:conv_rate, driver_stats:avg_daily_trips]", with: "features: [driver_stats:city]"))
        let applied = try Larder.run(["apply", defs, "--store", store.path])
        #expect(applied.status == 0, "\(applied.stderr)")
        // The reader of the shape is prepared again in the background once a
        // second old; requests go on meanwhile.
        let deadline = Date().addingTimeInterval(5)
        var seen: [String] = []
        while Date() < deadline {
            seen = try names()
            if seen == ["driver_id", "city"] { break }
            usleep(50_000)
        }
        #expect(seen == ["driver_id", "city"])
    }

    @Test func aBadPushWritesNothingAndNamesTheLines() throws {
        let body = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1001,2026-11-26T16:00:00Z,0.5,0.1,1,paris\n1002,2026-11-26T16:00:00Z,7,0.1,1,paris\n1003,2026-11-26T16:00:00Z,0.5,0.1,,paris\n"
        let push = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "text/csv"], body: Array(body.utf8))
        #expect(push.status == 400)
        #expect(push.errorCode == "invalid_input")
        let problems = (push.json["error"] as? [String: Any])?["problems"] as? [String] ?? []
        #expect(problems.contains { $0.hasPrefix("push:3: column conv_rate") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("push:4: column avg_daily_trips") }, "\(problems)")
        let runs = try server.request("GET", "/v1/runs/driver_stats")
        #expect(((try? JSONSerialization.jsonObject(with: Data(runs.body))) as? [Any])?.count == 1)
    }

    @Test func aBackfillByAnotherProcessIsServedWithinOneSecond() throws {
        // A first read prepares the reader and caches the view.
        _ = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:avg_daily_trips"], "entities": {"driver_id": [1002]}}"#)
        let data = try store.dir.write("more.csv", "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1002,2026-11-26T18:00:00Z,0.5,0.5,4242,paris\n")
        #expect(try Larder.run(["backfill", "driver_stats", "--input", data, "--store", store.path]).status == 0)
        let committed = Date()
        var seen: TimeInterval?
        while Date().timeIntervalSince(committed) < 3 {
            let online = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:avg_daily_trips"], "entities": {"driver_id": [1002]}}"#)
            if ((online.json["results"] as? [[String: Any]])?.last?["values"] as? [Int]) == [4242] {
                seen = Date().timeIntervalSince(committed)
                break
            }
            usleep(20_000)
        }
        #expect(seen != nil && seen! <= 1.0, "seen after \(seen.map { "\($0) s" } ?? "never")")
    }

    @Test func metricsShowRequestsLatencyEntitiesPushesCacheAndFreshness() throws {
        _ = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:city"], "entities": {"driver_id": [1001, 1002]}}"#)
        _ = try server.request("GET", "/v1/views/nope")
        let metrics = try server.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
        for expected in [#"larder_http_requests_total{route="/v1/online-features",status="200"}"#,
                         #"larder_http_errors_total{route="/v1/views/{name}",status="404"} 1"#,
                         #"larder_http_request_duration_seconds_bucket{route="/v1/online-features",le="+Inf"}"#,
                         "larder_online_entities_sum 2", #"larder_cache_rows{view="driver_stats",version="1"} 9"#,
                         #"larder_seconds_since_last_run{view="driver_stats"}"#] {
            #expect(metrics.text.contains(expected), "no \(expected) in \(metrics.text)")
        }
    }

    @Test func theAccessLogHasOneLinePerRequest() throws {
        _ = try server.request("GET", "/v1/views?secret=1")
        usleep(50_000)
        #expect(server.log.contains("GET /v1/views 200"))
        #expect(!server.log.contains("secret"))
    }

    @Test func sigtermStopsTheServerGracefully() throws {
        kill(server.process.processIdentifier, SIGTERM)
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
        #expect(server.log.contains("Shutting down") || server.log.contains("shutdown") || server.process.terminationReason == .exit)
    }
}
