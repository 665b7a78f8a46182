import Foundation
import Testing
@testable import Larder

/// A training set made without a horizon records the last commit it saw, so
/// its manifest replays exactly even when a run that began before it
/// commits while it is being made.
@Suite struct TrainingSetHorizonTests {
    @Test func aRunCommittedDuringATrainingSetStaysOutOfItsReplay() throws {
        let folder = TemporaryDirectory()
        let store = try FeatureStore(path: folder.file("s.db"))
        try store.apply(try Definitions.parse(yaml: """
            entities: [{name: e, join_keys: [{name: id, type: int64}]}]
            feature_views: [{name: v, entity: e, ttl: 30d, features: [{name: x, type: int64}]}]
            """, file: "defs.yaml"))
        let now = Timestamp.nowMicroseconds()
        let firstCommit = now - 60_000_000
        try store.testInsertRun(id: 1, view: "v", committedAt: firstCommit)
        try store.testInsertRows(view: "v", [[.int64(1), .int64(now - 120_000_000), .int64(0), .int64(1), .int64(10)]])
        let request = TrainingSetRequest(rows: .at(Timestamp(microseconds: now)), features: [FeatureReference(view: "v", feature: "x")])
        let manifest = folder.file("m.json")
        try store.writeTrainingSet(request, format: .csv, to: .file(folder.file("a.csv")), manifest: .file(manifest))
        #expect(try TrainingSetManifest.load(path: manifest).asOf == Timestamp.format(firstCommit))

        // A run stamped before the clock read of the training set but committed after it:
        // a later value for the same key, and a new key.
        try store.testInsertRun(id: 2, view: "v", committedAt: firstCommit + 1)
        try store.testInsertRows(view: "v", [[.int64(1), .int64(now - 100_000_000), .int64(0), .int64(2), .int64(20)],
                                             [.int64(2), .int64(now - 100_000_000), .int64(0), .int64(2), .int64(30)]])
        let replay = try store.writeTrainingSet(try TrainingSetRequest(reproducing: manifest), format: .csv, to: .file(folder.file("b.csv")))
        #expect(replay.reproduced && replay.rows == 1)
        #expect(try String(contentsOfFile: folder.file("a.csv"), encoding: .utf8) == String(contentsOfFile: folder.file("b.csv"), encoding: .utf8))
    }
}
