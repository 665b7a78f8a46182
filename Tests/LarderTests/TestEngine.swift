import Foundation
import Testing
@testable import Larder
import LarderPostgres

/// The storage engines the behavioural suites run against: SQLite always,
/// PostgreSQL unless it is not installed here and this is not CI (see
/// ``TestPostgres``). A suite takes it as its argument (`@Test(arguments: TestEngine.all)`).
enum TestEngine: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    /// The engines to test.
    static let all: [TestEngine] = {
        if TestPostgres.skipped {
            print("note: PostgreSQL is not installed and LARDER_TEST_POSTGRES is not set: the PostgreSQL engine is not tested")
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }()

    var testDescription: String { rawValue }

    /// Where a new, empty store goes: a file in `directory`, or a new database.
    func newStore(in directory: TemporaryDirectory, file: String = "test.db") throws -> String {
        switch self {
        case .sqlite: directory.file(file)
        case .postgres: try TestPostgres.newDatabase()
        }
    }

    /// Opens the store at `location` (a path or a PostgreSQL URL).
    func open(_ location: String, options: FeatureStore.Options = FeatureStore.Options()) throws -> FeatureStore {
        try FeatureStore.open(location, options: options)
    }
}
