import Foundation
import LarderTestSupport
import Testing

/// Two `larder serve` processes on one PostgreSQL database (two serving
/// nodes, docs/scale-out.md): a run pushed to one is read from the other.
@Suite(.enabled(if: !TestPostgres.skipped, "PostgreSQL is not installed"))
struct ScaleOutTests {
    @Test func aPushToOneServerIsReadFromTheOtherWithinASecond() throws {
        let dir = TemporaryDirectory()
        let url = try TestPostgres.newDatabase()
        let defs = try dir.write("defs.yaml", TestStore.definitions)
        let data = try dir.write("data.csv", "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1001,2026-11-26T10:00:00Z,0.5,0.5,10,paris\n")
        for arguments in [["init"], ["apply", defs], ["backfill", "driver_stats", "--input", data]] {
            let result = try Larder.run(arguments + ["--store", url])
            try #require(result.status == 0, "larder \(arguments): \(result.stderr)")
        }
        let writer = try ServerProcess(path: url, directory: dir)
        let reader = try ServerProcess(path: url, directory: dir)
        let query = #"{"features": ["driver_stats:conv_rate"], "entities": {"driver_id": [1004]}}"#
        let before = try reader.post("/v1/online-features", json: query)
        #expect(before.status == 200 && before.text.contains("NOT_FOUND"), "\(before.status) \(before.text)")

        let push = try writer.request("POST", "/v1/push/driver_stats", headers: ["Content-Type": "text/csv"],
                                      body: Array("driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n1004,2026-11-26T11:00:00Z,0.77,0.5,3,oslo\n".utf8))
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
}
