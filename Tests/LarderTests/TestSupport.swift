import Foundation
import Synchronization
@testable import Larder
@_exported import LarderTestSupport

extension FeatureStore {
    /// Runs raw SQL on the store's connection (tests only).
    func testSQL(_ sql: String) throws {
        try testWithDB { try $0.execute(sql) }
    }

    /// The first column of the first row of `sql` as an integer (tests only).
    func testInt(_ sql: String) throws -> Int64 {
        try testWithDB { try $0.queryInt(sql) }
    }

    /// Every table name in the store, sorted (tests only).
    func testTables() throws -> [String] {
        try testWithDB { db in
            let s = try db.statement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            var names: [String] = []
            while try s.step() { names.append(s.text(0)) }
            s.reset()
            return names
        }
    }
}
