import Foundation
import NIOCore
import PostgresNIO
@testable import Larder
@testable import LarderPostgres

extension PostgresSession {
    /// Inserts `runs` (committed) and `rows` (each the table's columns in
    /// order) into `view`'s table in one transaction, as the write path
    /// commits a run (tests only; see `FeatureStore.testInsertRows`).
    func testInsert(runs: [PendingTestRun], view: FeatureView, rows: [[FeatureValue]]) throws {
        let columns = ViewTable.columns(view)
        let insert = "INSERT INTO \(Identifier.quoted(view.tableName)) (\(columns.map(Identifier.quoted).joined(separator: ", "))) VALUES "
        // Many rows a statement (a round trip each would make large tables slow to fill).
        let rowsPerStatement = max(1, 30_000 / max(columns.count, 1))
        try link.writing {
            for run in runs {
                try link.query("""
                    INSERT INTO runs (id, view, version, source, content_sha256, rows, rejected, started_at, committed_at)
                    VALUES ($1, $2, $3, 'test', '', 0, 0, $4, $4)
                    """, PostgresBindings(run.id, run.view, Int64(run.version), run.committedAt))
            }
            try link.query("SELECT setval(pg_get_serial_sequence('runs', 'id'), GREATEST((SELECT MAX(id) FROM runs), 1))")
            for start in stride(from: 0, to: rows.count, by: rowsPerStatement) {
                let batch = rows[start..<min(start + rowsPerStatement, rows.count)]
                var binds = PostgresBindings(capacity: batch.count * columns.count)
                var tuples: [String] = []
                for row in batch {
                    precondition(row.count == columns.count, "a row of \(row.count) values for \(columns.count) columns")
                    let first = binds.count
                    for value in row { binds.testAppend(value) }
                    tuples.append("(" + columns.indices.map { "$\(first + $0 + 1)" }.joined(separator: ", ") + ")")
                }
                try link.query(insert + tuples.joined(separator: ", "), binds)
            }
            return .commit(())
        }
    }
}

extension PostgresBindings {
    /// Appends a value the way the view tables store it (tests only).
    mutating func testAppend(_ value: FeatureValue) {
        switch value {
        case .null: appendNull()
        case .int64(let v): append(v)
        case .timestamp(let v): append(v.microseconds)
        case .float64(let v): append(v)
        case .bool(let v): append(v)
        case .string(let v): append(v)
        case .bytes(let v): append(ByteBuffer(bytes: v))
        case .vector(let v):
            var bytes = ByteBuffer()
            for f in v { bytes.writeInteger(f.bitPattern, endianness: .little) }
            append(bytes)
        }
    }
}
