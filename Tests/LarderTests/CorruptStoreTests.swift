import Foundation
import Testing
@testable import Larder

@Suite struct CorruptStoreTests {
    /// A hand edit of a registry row, and the table, row, column and problem
    /// the error must name.
    static let edits: [(sql: String, table: String, row: String, column: String, problem: String)] = [
        ("UPDATE features SET type = 'float128' WHERE name = 'conv_rate'",
         "features", "driver_stats@1:conv_rate", "type", "unknown feature type \"float128\""),
        ("UPDATE features SET expectations = '{\"min\": \"zero\"}' WHERE name = 'conv_rate'",
         "features", "driver_stats@1:conv_rate", "expectations", "expected a JSON object"),
        ("UPDATE features SET name = 'Conv Rate' WHERE name = 'conv_rate'",
         "features", "driver_stats@1:Conv Rate", "name", "identifier \"Conv Rate\" must start with a lowercase letter"),
        ("DELETE FROM features",
         "view_versions", "driver_stats@1", "id", "table features has no rows"),
        ("UPDATE entities SET join_keys = '[{\"name\": \"driver_id\", \"type\": \"uuid\"}]'",
         "entities", "driver", "join_keys", "unknown join key type \"uuid\""),
        ("UPDATE entities SET join_keys = '[{\"name\": \"driver_id\"'",
         "entities", "driver", "join_keys", "expected a JSON list like [{\"name\": \"driver_id\", \"type\": \"int64\"}], found \"[{\"name\": \"driver_id\"\""),
        ("UPDATE entities SET join_keys = '[{\"name\": \"driver-id\", \"type\": \"int64\"}]'",
         "entities", "driver", "join_keys", "identifier \"driver-id\" contains \"-\""),
        ("UPDATE view_versions SET join_keys = '[]'",
         "view_versions", "driver_stats@1", "join_keys", "no join keys"),
        ("UPDATE view_versions SET join_keys = '[{\"name\": \"driver_id\", \"type\": \"int32\"}]'",
         "view_versions", "driver_stats@1", "join_keys", "unknown join key type \"int32\""),
        ("UPDATE view_versions SET tags = '{\"team\": 7}'",
         "view_versions", "driver_stats@1", "tags", "expected a JSON object of strings"),
        ("UPDATE view_versions SET ttl_us = -1",
         "view_versions", "driver_stats@1", "ttl_us", "negative TTL -1"),
        ("INSERT INTO feature_views VALUES ('Driver Stats'); UPDATE view_versions SET view = 'Driver Stats'",
         "view_versions", "Driver Stats@1", "view", "identifier \"Driver Stats\""),
        ("UPDATE feature_sets SET refs = '[\"driver_stats@9:conv_rate\"]'",
         "feature_sets", "driver_ranking@1", "refs", "feature view \"driver_stats\" has no version 9"),
        ("UPDATE feature_sets SET refs = '[\"driver_stats@1:speed\"]'",
         "feature_sets", "driver_ranking@1", "refs", "has no feature \"speed\""),
        ("UPDATE feature_sets SET refs = '[\"driver_stats:conv_rate\"]'",
         "feature_sets", "driver_ranking@1", "refs", "does not pin one feature of one view version"),
        ("UPDATE feature_sets SET refs = '[\"driver_stats@1\"]'",
         "feature_sets", "driver_ranking@1", "refs", "must look like view:feature"),
        ("UPDATE feature_sets SET refs = 'driver_stats@1:conv_rate'",
         "feature_sets", "driver_ranking@1", "refs", "expected a JSON list of references"),
        ("UPDATE feature_sets SET name = 'Ranking'",
         "feature_sets", "Ranking@1", "name", "identifier \"Ranking\""),
    ]

    @Test(arguments: 0..<edits.count)
    func aBadRegistryRowIsACorruptStoreErrorNamingTableRowAndColumn(_ index: Int) throws {
        let edit = Self.edits[index]
        let dir = TemporaryDirectory()
        let path = dir.file("c.db")
        do {
            let store = try FeatureStore(path: path)
            try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
            try store.testSQL(edit.sql)
        }
        #expect {
            _ = try FeatureStore(path: path)
        } throws: { error in
            guard let error = error as? LarderError, error.category == .storage, error.path == path else { return false }
            let expected = "table \(edit.table), row \(edit.row), column \(edit.column): "
            #expect(error.message.hasPrefix("\(path): corrupt store: \(expected)"), "\(error)")
            #expect(error.message.contains(edit.problem), "\(error)")
            return true
        }
    }

    @Test func anOlderFeatureSetVersionMayPinADroppedViewVersion() throws {
        let dir = TemporaryDirectory()
        let store = try FeatureStore(path: dir.file("c.db"))
        try store.apply(try Definitions.parse(yaml: exampleDefinitions, file: "defs.yaml"))
        // driver_ranking@1 pins driver_stats@1; its version 2 pins driver_stats@2.
        try store.apply(try Definitions.parse(yaml: exampleDefinitions.replacingOccurrences(of: "ttl: 7d", with: "ttl: 2d"), file: "defs.yaml"))
        try store.drop(view: "driver_stats", version: 1)
        let reopened = try FeatureStore(path: dir.file("c.db"))
        #expect(try reopened.registry.featureSets["driver_ranking"]?.map(\.version) == [1, 2])
    }
}
