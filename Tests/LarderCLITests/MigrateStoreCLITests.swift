import Foundation
import Larder
import LarderPostgres
import Testing

/// `larder migrate-store` (issue 15): a SQLite store copied into PostgreSQL
/// answers every read the same; a target with data is refused; a damaged
/// source or a failure part way leaves the target without anything.
@Suite(.enabled(if: !TestPostgres.skipped, "PostgreSQL is not installed"))
struct MigrateStoreCLITests {
    let dir = TemporaryDirectory()

    /// Version 1 of `stats` (a string key, several types, vectors), then version 2 with a
    /// feature more (rows carried over), `daily` for the ledger, and a feature set of two versions.
    static func definitions(version2: Bool) -> String {
        """
        entities:
          - name: driver
            join_keys: [{name: driver_id, type: int64}]
          - name: city
            join_keys: [{name: city_id, type: string}]
        feature_views:
          - name: stats
            entity: city
            ttl: 7d
            features:
              - {name: rate, type: float64, expect: {min: 0, allow_nan: true}}
              - {name: busy, type: bool}
              - {name: label, type: string}
              - {name: embedding, type: "vector<float32, 2>"}
        \(version2 ? "      - {name: trips, type: int64}" : "")
          - name: daily
            entity: driver
            ttl: 7d
            features:
              - {name: trips, type: int64}
        feature_sets:
          - name: board
            features: [stats:rate, stats:label\(version2 ? ", stats:trips" : "")]

        """
    }

    /// A SQLite store with two versions of `stats`, four runs of it (one
    /// with a rejected row and NaN), a ledger of `daily`, two set versions.
    func sourceStore() throws -> String {
        let store = dir.file("source.db")
        func larder(_ arguments: [String]) throws {
            let result = try CLI.run(arguments + ["--store", store])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        try larder(["apply", try dir.write("v1.yaml", Self.definitions(version2: false))])
        try larder(["backfill", "stats", "--input", try dir.write("a.csv", """
            city_id,event_timestamp,rate,busy,label,embedding
            berlin,2026-01-01T00:00:00Z,0.5,true,b1,"[1.5, -2]"
            lisbon,2026-01-01T00:00:00Z,NaN,false,,
            oslo,2026-01-01T00:00:00Z,0.25,,o1,"[0, 0.125]"

            """)])
        try larder(["backfill", "stats", "--on-error", "skip", "--reject-file", dir.file("rejected.csv"), "--input", try dir.write("b.csv", """
            city_id,event_timestamp,rate,busy,label,embedding
            berlin,2026-01-02T00:00:00Z,0.75,false,b2,"[2, 2]"
            paris,2026-01-02T00:00:00Z,-1,true,p1,"[3, 3]"
            paris,2026-01-02T06:00:00Z,1,true,p2,"[3, 4]"

            """)])
        try larder(["apply", "--carry-data", try dir.write("v2.yaml", Self.definitions(version2: true))])
        try larder(["backfill", "stats", "--input", try dir.write("c.csv", """
            city_id,event_timestamp,rate,busy,label,embedding,trips
            berlin,2026-01-03T00:00:00Z,0.125,true,b3,"[5, 6]",7
            Zürich,2026-01-03T00:00:00Z,0.5,false,z1,"[7, 8]",

            """)])
        let day = try dir.write("day.sh", "echo driver_id,event_timestamp,trips\necho \"1,$1,3\"\necho \"2,$1,4\"\n")
        try larder(["backfill", "daily", "--command", "sh \(day) {start} {end}", "--from", "2026-01-01T00:00:00Z",
                    "--to", "2026-01-04T00:00:00Z", "--every", "1d"])
        return store
    }

    /// What the reads answer on the store at `store`: historical (from the
    /// cache and from the engine), online, runs, stats, versions, ledger, list.
    func answers(_ store: String, spine: String) throws -> [String] {
        let reads: [[String]] = [
            ["historical", "--spine", spine, "--features", "stats:*,daily:trips", "--full-names", "--output", "-"],
            ["historical", "--spine", spine, "--features", "stats@1:*,daily:trips", "--full-names", "--output", "-", "--cache-mb", "0"],
            ["historical", "--spine", spine, "--feature-set", "board", "--output", "-"],
            ["online", "--feature-set", "board", "--entity", "city_id=berlin", "--entity", "city_id=Zürich", "--entity", "city_id=rome"],
            ["online", "--features", "daily:trips", "--entity", "driver_id=1", "--cache-mb", "0"],
            ["runs", "stats", "--format", "json"], ["runs", "daily", "--format", "json"],
            ["stats", "stats", "--format", "json"], ["stats", "stats@1", "--format", "json"],
            ["versions", "stats"], ["ledger", "daily", "--format", "json"], ["list"],
        ]
        return try reads.map { arguments in
            let result = try CLI.run(arguments + ["--store", store], environment: ["LARDER_CACHE_DIR": dir.file("cache")])
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
    }

    @Test func aMigratedStoreAnswersEveryReadAsTheSource() throws {
        let source = try sourceStore()
        let target = try TestPostgres.newDatabase()
        let migrated = try CLI.run(["migrate-store", "--from", source, "--to", target])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout.contains("fv_stats_v2\t7 rows"), "\(migrated.stdout)")
        #expect(migrated.stdout.contains("runs\t6 rows"), "\(migrated.stdout)")
        let spine = try dir.write("spine.csv", """
            city_id,driver_id,event_timestamp
            berlin,1,2026-01-01T12:00:00Z
            berlin,2,2026-01-03T12:00:00Z
            paris,1,2026-01-02T07:00:00Z
            Zürich,9,2026-01-04T00:00:00Z
            lisbon,2,2026-01-01T00:00:00Z
            oslo,1,2025-12-31T00:00:00Z

            """)
        let expected = try answers(source, spine: spine)
        #expect(expected[0].contains("b3"))
        let got = try answers(target, spine: spine)
        for (a, b) in zip(expected, got) { #expect(a == b) }

        // Written to afterwards, the target goes on from the source's ids.
        #expect(try CLI.run(["backfill", "stats", "--input", try dir.write("d.csv", "city_id,event_timestamp,rate\nrome,2026-01-05T00:00:00Z,0.5\n"), "--allow-missing-features",
                             "--store", target]).status == 0)
        let runs = try FeatureStore.open(target, options: .init(create: false)).runs(view: "stats")
        #expect(runs.map(\.id).first == (try FeatureStore(path: source, options: .init(create: false)).runs(view: "daily").map(\.id).max() ?? 0) + 1)
    }

    @Test func aTargetWithDataIsRefused() throws {
        let source = try sourceStore()
        let target = try TestPostgres.newDatabase()
        #expect(try CLI.run(["apply", try dir.write("other.yaml", dailyTripsDefinitions), "--store", target]).status == 0)
        let refused = try CLI.run(["migrate-store", "--from", source, "--to", target])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("not empty"), "\(refused.stderr)")
        let store = try FeatureStore.open(target, options: .init(create: false))
        #expect(try store.registry.views.keys.sorted() == ["daily"])
    }

    /// Nothing of the store is in the target: no registry, no run, no view table
    /// (a later migration of a sound store into it succeeds).
    func expectEmpty(_ target: String, then source: String) throws {
        let store = try FeatureStore.open(target, options: .init(create: false))
        #expect(try store.registry.views.isEmpty)
        #expect(try store.registry.entities.isEmpty)
        let again = try CLI.run(["migrate-store", "--from", source, "--to", target])
        #expect(again.status == 0, "\(again.stderr)")
    }

    @Test func aDamagedSourceLeavesTheTargetEmpty() throws {
        let sound = try sourceStore()
        let damaged = dir.file("damaged.db")
        try FileManager.default.copyItem(atPath: sound, toPath: damaged)
        let db = try Connection(path: damaged)
        try db.execute("UPDATE view_versions SET ttl_us = -1 WHERE view = 'stats' AND version = 2")
        let target = try TestPostgres.newDatabase()
        #expect(try CLI.run(["init", "--store", target]).status == 0)
        let refused = try CLI.run(["migrate-store", "--from", damaged, "--to", target])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("ttl_us"), "\(refused.stderr)")
        let garbage = try dir.write("garbage.db", String(repeating: "not a database ", count: 400))
        #expect(try CLI.run(["migrate-store", "--from", garbage, "--to", target]).status == 2)
        try expectEmpty(target, then: sound)
    }

    /// Migrates a copy of the store `sound` in which `sql` put a NUL in
    /// text: the copy stops (exit status 1) naming `table`, the row's key
    /// (holding `key`) and the column `label`, and the target is left empty.
    func expectNULStops(_ sound: String, _ sql: String, table: String, key: String) throws {
        let broken = dir.file("broken.db")
        try FileManager.default.copyItem(atPath: sound, toPath: broken)
        try Connection(path: broken).execute(sql)
        let target = try TestPostgres.newDatabase()
        let failed = try CLI.run(["migrate-store", "--from", broken, "--to", target])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("table \(table), row city_id = ") && failed.stderr.contains(key)
                    && failed.stderr.contains("column label holds the character U+0000 (NUL)"), "\(failed.stderr)")
        try expectEmpty(target, then: sound)
    }

    /// SQLite keeps a NUL in text; PostgreSQL cannot: the copy stops at the
    /// last view table, after every other table was copied.
    @Test func aFailurePartWayLeavesTheTargetEmpty() throws {
        try expectNULStops(try sourceStore(), "UPDATE fv_stats_v2 SET label = 'b' || char(0) || '3' WHERE label = 'b3'",
                           table: "fv_stats_v2", key: "berlin")
    }

    /// A table of more rows than one batch goes in as several `COPY`s, the
    /// next batch read while the last is copied; when a later batch fails
    /// (a NUL in its last row), nothing of the store is kept either.
    @Test func aFailureInALaterBatchOfATableLeavesTheTargetEmpty() throws {
        let sound = dir.file("large.db")
        #expect(try CLI.run(["apply", try dir.write("v1.yaml", Self.definitions(version2: false)), "--store", sound]).status == 0)
        let rows = (0..<70_000).map { "c\($0),2026-01-01T00:00:00Z,0.5,true,l\($0),\"[1, 2]\"" }
        let csv = try dir.write("large.csv", "city_id,event_timestamp,rate,busy,label,embedding\n" + rows.joined(separator: "\n") + "\n")
        #expect(try CLI.run(["backfill", "stats", "--input", csv, "--store", sound]).status == 0)
        try expectNULStops(sound, "UPDATE fv_stats_v1 SET label = 'x' || char(0) WHERE city_id = (SELECT MAX(city_id) FROM fv_stats_v1)",
                           table: "fv_stats_v1", key: "c9999")
    }
}
