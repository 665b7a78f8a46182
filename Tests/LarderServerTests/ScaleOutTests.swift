import Foundation
import LarderTestSupport
import Testing

/// `larder serve` on PostgreSQL (docs/scale-out.md): two serving nodes on
/// one database (a run pushed to one is read from the other), a node on a
/// hot standby, and a node whose connections the server closed.
@Suite(.enabled(if: !TestPostgres.skipped, "PostgreSQL is not installed"))
struct ScaleOutTests {
    /// The CSV header of `driver_stats` rows.
    static let header = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"

    /// A new database made a store with the test definitions and one run
    /// (driver 1001, `conv_rate` 0.5) through the CLI; its URL.
    static func storeWithOneRun(in dir: TemporaryDirectory, url: String? = nil) throws -> String {
        let url = try url ?? TestPostgres.newDatabase()
        let defs = try dir.write("defs.yaml", TestStore.definitions)
        let data = try dir.write("data.csv", header + "1001,2026-11-26T10:00:00Z,0.5,0.5,10,paris\n")
        for arguments in [["init"], ["apply", defs], ["backfill", "driver_stats", "--input", data]] {
            let result = try Larder.run(arguments + ["--store", url])
            try #require(result.status == 0, "larder \(arguments): \(result.stderr)")
        }
        return url
    }

    @Test func aPushToOneServerIsReadFromTheOtherWithinASecond() throws {
        let dir = TemporaryDirectory()
        let url = try Self.storeWithOneRun(in: dir)
        let writer = try ServerProcess(path: url, directory: dir)
        let reader = try ServerProcess(path: url, directory: dir)
        let query = #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1004]}}"#
        let before = try reader.post("/v1/online-features", json: query)
        #expect(before.status == 200 && before.text.contains("NOT_FOUND"), "\(before.status) \(before.text)")

        let push = try writer.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "text/csv"],
                                      body: Array((Self.header + "1004,2026-11-26T11:00:00Z,0.77,0.5,3,oslo\n").utf8))
        try #require(push.status == 200, "push: \(push.status) \(push.text)")
        let pushed = Date()
        var answer = try reader.post("/v1/online-features", json: query)
        while !answer.text.contains("0.77"), Date().timeIntervalSince(pushed) < 10 {
            usleep(20_000)
            answer = try reader.post("/v1/online-features", json: query)
        }
        let seconds = Date().timeIntervalSince(pushed)
        #expect(answer.text.contains("0.77") && answer.text.contains("PRESENT"), "\(answer.text)")
        #expect(seconds < 1, "the other server read the pushed run after \(seconds) s")
    }

    /// A server whose PostgreSQL connections are all closed by the server
    /// (as a restart or an administrator's `pg_terminate_backend` does)
    /// opens new ones: the registry, a push and the reads answer 200, not
    /// 500 for the rest of its life (docs/scale-out.md, "How it behaves").
    @Test func aServerWhoseConnectionsWereClosedConnectsAgain() throws {
        let dir = TemporaryDirectory()
        let url = try Self.storeWithOneRun(in: dir)
        let server = try ServerProcess(path: url, directory: dir)
        try #require(try server.request("GET", "/v1/runs/driver_stats").status == 200)
        try TestPostgres.psql(URLComponents(string: url)!, """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
        let runs = try server.request("GET", "/v1/runs/driver_stats")
        #expect(runs.status == 200, "\(runs.status) \(runs.text)")
        let push = try server.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "text/csv"],
                                      body: Array((Self.header + "1004,2026-11-26T11:00:00Z,0.77,0.5,3,oslo\n").utf8))
        #expect(push.status == 200 && push.text.contains("\"run_id\":2"), "\(push.status) \(push.text)")
        let read = try server.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1001, 1004]}}"#)
        #expect(read.status == 200 && read.text.contains("0.77") && read.text.contains("0.5"), "\(read.status) \(read.text)")
        #expect(try server.request("GET", "/v1/runs/driver_stats").text.contains("\"id\":2"))
    }

    /// A read-only serving node on a hot standby (docs/scale-out.md, "Read
    /// replicas"): it answers from the replica, sees a run committed on the
    /// primary within a second (no `LISTEN` there: the cache's periodic
    /// check), refuses a push with a message that says to write through the
    /// primary, and never sends the standby a `LISTEN` it would refuse.
    @Test func aServerOnAHotStandbyReadsThePrimarysRunsAndRefusesWrites() throws {
        let dir = TemporaryDirectory()
        let primary = try TestPostgres.newDatabase()
        let standby = try TestPostgres.standbyURL(of: primary)
        _ = try Self.storeWithOneRun(in: dir, url: primary)
        // The standby replays the primary's WAL: wait for the store to be there.
        var listed = try Larder.run(["list", "--store", standby])
        let start = Date()
        while listed.status != 0, Date().timeIntervalSince(start) < 10 {
            usleep(50_000)
            listed = try Larder.run(["list", "--store", standby])
        }
        try #require(listed.status == 0, "larder list on the standby: \(listed.stderr)")

        let reader = try ServerProcess(path: standby, directory: dir)
        func conversion(of driver: Int) throws -> String {
            try reader.post("/v1/online-features", json: #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [\#(driver)]}}"#).text
        }
        var first = try conversion(of: 1001)
        while !first.contains("0.5"), Date().timeIntervalSince(start) < 10 {
            usleep(20_000)
            first = try conversion(of: 1001)
        }
        #expect(first.contains("0.5") && first.contains("PRESENT"), "\(first)")

        let more = try dir.write("more.csv", Self.header + "1004,2026-11-26T11:00:00Z,0.77,0.5,3,oslo\n")
        let backfill = try Larder.run(["backfill", "driver_stats", "--input", more, "--store", primary])
        try #require(backfill.status == 0, "backfill on the primary: \(backfill.stderr)")
        let committed = Date()
        var answer = try conversion(of: 1004)
        while !answer.contains("0.77"), Date().timeIntervalSince(committed) < 10 {
            usleep(20_000)
            answer = try conversion(of: 1004)
        }
        let seconds = Date().timeIntervalSince(committed)
        #expect(answer.contains("0.77") && answer.contains("PRESENT"), "\(answer)")
        #expect(seconds < 1, "the standby's server read the primary's run after \(seconds) s")

        let push = try reader.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "text/csv"],
                                      body: Array((Self.header + "1005,2026-11-26T11:00:00Z,0.9,0.5,3,oslo\n").utf8))
        #expect(push.status >= 400 && push.text.contains("read-only here") && push.text.contains("primary"), "\(push.status) \(push.text)")
        let refused = try Larder.run(["backfill", "driver_stats", "--input", more, "--store", standby])
        #expect(refused.status != 0 && refused.stderr.contains("write through the primary"), "\(refused.stderr)")

        let standbyLog = try String(contentsOfFile: try #require(TestPostgres.standbyLog), encoding: .utf8)
        #expect(!standbyLog.contains("LISTEN"), "the standby was sent LISTEN: \(standbyLog.split(separator: "\n").filter { $0.contains("LISTEN") }.prefix(3))")
    }
}
