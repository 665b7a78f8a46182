import Foundation
import Synchronization
@testable import Larder
@testable import LarderPostgres
import PostgresNIO
@_exported import LarderTestSupport

/// Definitions of one view, `typed`, with a feature of every type (NaN
/// allowed in `f`, and in the vector `e` when `nanInVectors`), keyed by
/// `key` of `type` and kept forever (`ttl: 0`).
func everyTypeDefinitions(key: String = "id", type: String = "int64", nanInVectors: Bool = false) -> String {
    """
    entities:
      - {name: thing, join_keys: [{name: \(key), type: \(type)}]}
    feature_views:
      - name: typed
        entity: thing
        ttl: 0
        features:
          - {name: i, type: int64}
          - {name: f, type: float64, expect: {allow_nan: true}}
          - {name: b, type: bool}
          - {name: s, type: string}
          - {name: raw, type: bytes}
          - {name: t, type: timestamp}
          - {name: e, type: "vector<float32, 3>"\(nanInVectors ? ", expect: {allow_nan: true}" : "")}
    """
}

extension FeatureStore {
    /// Runs raw SQL on the store's connection, on either engine (tests only).
    func testSQL(_ sql: String) throws {
        try state.withLock { state in
            if let session = state.session as? PostgresSession { try session.link.query(sql) } else { try (state.session as! SQLiteSession).db.execute(sql) }
        }
    }

    /// The first column of the first row of `sql` as an integer, on either engine (tests only).
    func testInt(_ sql: String) throws -> Int64 {
        try state.withLock { state in
            if let session = state.session as? PostgresSession { return try session.link.queryInt(sql) }
            return try (state.session as! SQLiteSession).db.queryInt(sql)
        }
    }

    /// Every table name in the store, sorted, on either engine (tests only).
    func testTables() throws -> [String] {
        try state.withLock { state in
            if let session = state.session as? PostgresSession {
                return try session.link.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename COLLATE \"C\"")
                    .rows.map { PostgresCursor($0).text(0) }
            }
            let s = try (state.session as! SQLiteSession).db.statement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var names: [String] = []
            while try s.step() { names.append(s.text(0)) }
            s.reset()
            return names
        }
    }
}
