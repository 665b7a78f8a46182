import Larder
import NIOCore
import PostgresNIO

/// Copies a store's tables (``TableSource``) into an empty store on
/// PostgreSQL, in the caller's write transaction, and checks each table
/// read back against what was read from the source: the same row count and
/// checksum (``TableChecksum``), or nothing is kept.
///
/// Each batch read from the source goes in as one binary `COPY`
/// (``CopyRows/encode(columns:)``), the next batch read while the server
/// takes it.
struct PostgresStoreCopy {
    /// The target's connection, inside a write transaction.
    let link: PostgresLink
    /// The store copied, read inside its own read transaction.
    let source: any TableSource
    /// The source's registry, read in the same transaction.
    let registry: RegistrySnapshot
    /// The source, for messages.
    let sourcePath: String

    /// Larder's own tables, in the order their references allow (the
    /// store's change counter and the migrations are the target's own).
    static let storeTables = ["entities", "feature_views", "view_versions", "features", "feature_sets", "view_version_numbers",
                              "runs", "run_statistics", "backfill_ledger"]
    /// The tables whose ids the target draws from a sequence.
    private static let identities = ["view_versions", "feature_sets", "runs"]
    /// Rows read from the source and inserted at a time.
    private static let batchRows = 65_536

    /// Copies every table; returns each one's figures, in copy order.
    func run() throws -> [StoreMigrationReport.Table] {
        try refuseNonEmptyTarget()
        let views = registry.views.keys.sorted().flatMap { registry.views[$0] ?? [] }
        let known = Set(PostgresStoreCopy.storeTables + views.map(\.tableName))
        if let unknown = try source.tableNames().first(where: { !known.contains($0) }) {
            throw LarderError(.storage, "\(sourcePath): table \"\(unknown)\" is neither one of Larder's nor a view version's; nothing was copied", path: sourcePath)
        }
        var copied: [StoreMigrationReport.Table] = []
        for table in PostgresStoreCopy.storeTables {
            let columns = try targetColumns(of: table)
            copied.append(try copy(table, columns: columns, key: try primaryKey(of: table)))
        }
        let session = PostgresSession(link: link)
        for view in views {
            try session.createTable(view)
            let types = view.joinKeys.map(\.type.featureType) + [.timestamp, .timestamp, .int64] + view.features.map(\.type)
            copied.append(try copy(view.tableName, columns: Array(zip(ViewTable.columns(view), types)).map { (name: $0.0, type: $0.1) },
                                   key: view.joinKeys.map(\.name) + ViewTable.fixedColumns))
        }
        for table in PostgresStoreCopy.identities {
            try link.query("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE((SELECT MAX(id) FROM \(table)), 0) + 1, false)")
        }
        return copied
    }

    /// Refuses a target that holds anything of a store: the copy only
    /// makes a new store, it never merges two.
    private func refuseNonEmptyTarget() throws {
        for table in PostgresStoreCopy.storeTables where try !link.query("SELECT 1 FROM \(table) LIMIT 1").rows.isEmpty {
            throw LarderError(.conflict, "\(link.address): the target store is not empty (table \(table) has rows); migrate-store copies into a new, empty database only",
                              path: link.address.description)
        }
    }

    /// Copies `table`'s `columns`, read in `key` order, then reads the copy
    /// back in the same order and compares.
    private func copy(_ table: String, columns: [(name: String, type: FeatureType)], key: [String]) throws -> StoreMigrationReport.Table {
        let sourceColumns = try source.columnNames(of: table)
        let names = columns.map(\.name)
        if let extra = sourceColumns.first(where: { !names.contains($0) }) {
            throw LarderError(.storage, "\(sourcePath): column \(table).\(extra) has no place in the target store; nothing was copied", path: sourcePath)
        }
        if let missing = names.first(where: { !sourceColumns.contains($0) }) {
            throw LarderError(.storage, "\(sourcePath): table \(table) has no column \(missing); nothing was copied", path: sourcePath)
        }
        let copySQL = "COPY \(Identifier.quoted(table)) FROM STDIN (FORMAT binary)"
        var read = TableChecksum()
        // One batch's COPY in flight while the next is read and encoded.
        var inFlight: EventLoopFuture<Void>?
        func settle() throws {
            guard let copying = inFlight else { return }
            inFlight = nil
            try link.wait(for: copying)
        }
        do {
            try source.scanTable(table, columns: columns, orderedBy: key, batchRows: PostgresStoreCopy.batchRows) { batch in
                try refuseUnstorableText(batch, table: table, columns: columns, key: key)
                read.add(batch)
                let data = CopyRows.encode(columns: batch)
                try settle()
                let address = link.address
                inFlight = link.run { connection in
                    do {
                        try await connection.copyBinary(into: table, columns: names, data: data, logger: PostgresLink.logger)
                    } catch {
                        throw PostgresError(error, address: address, sql: copySQL)
                    }
                }
            }
            try settle()
        } catch {
            // The transaction's ROLLBACK must not overtake a COPY still on its way.
            try? settle()
            throw error
        }
        let written = try checksum(table, columns: columns, key: key)
        guard written.rows == read.rows, written.digest == read.digest else {
            throw LarderError(.storage, """
                \(link.address): table \(table) read back \(written.rows) rows (checksum \(written.digest.prefix(16))) where \(sourcePath) has \
                \(read.rows) (checksum \(read.digest.prefix(16))); nothing was copied
                """, path: link.address.description)
        }
        return StoreMigrationReport.Table(name: table, rows: read.rows, checksum: read.digest)
    }

    /// Refuses a batch of `table` with a string that holds the character
    /// U+0000 (NUL): SQLite keeps such text, PostgreSQL's `text` cannot,
    /// so the copy stops there, naming the table, the row's key and the
    /// column, instead of failing with the server's encoding error.
    private func refuseUnstorableText(_ batch: [Column], table: String, columns: [(name: String, type: FeatureType)], key: [String]) throws {
        for (index, column) in batch.enumerated() {
            guard let row = column.rowsHoldingNUL.first else { continue }
            let keyText = key.compactMap { name in columns.firstIndex { $0.name == name }.map { "\(name) = \(batch[$0].value(row))" } }
            throw LarderError(.invalidInput, """
                \(sourcePath): table \(table), row \(keyText.joined(separator: ", ")): column \(columns[index].name) holds the \
                character U+0000 (NUL), which PostgreSQL cannot store in text; nothing was copied
                """, path: sourcePath)
        }
    }

    /// The checksum of `table` in the target, read in `key` order (text byte by byte, as SQLite orders it).
    func checksum(_ table: String, columns: [(name: String, type: FeatureType)], key: [String]) throws -> TableChecksum {
        let types = Dictionary(uniqueKeysWithValues: columns.map { ($0.name, $0.type) })
        let order = key.map { Identifier.quoted($0) + (types[$0] == .string ? " COLLATE \"C\"" : "") }.joined(separator: ", ")
        let sql = "SELECT \(columns.map { Identifier.quoted($0.name) }.joined(separator: ", ")) FROM \(Identifier.quoted(table)) ORDER BY \(order)"
        var sum = TableChecksum()
        try link.scan(sql, batchRows: PostgresStoreCopy.batchRows) { answer in
            var batch = columns.map { Column(type: $0.type, capacity: PostgresStoreCopy.batchRows) }
            for row in answer.rows {
                let cursor = PostgresCursor(row)
                for i in batch.indices { batch[i].append(from: cursor, at: Int32(i)) }
            }
            sum.add(batch)
            return true
        }
        return sum
    }

    /// The columns of the target's `table` and the type each is copied as.
    private func targetColumns(of table: String) throws -> [(name: String, type: FeatureType)] {
        try link.query("""
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
            """, PostgresBindings(table)).rows.map { row in
            let cursor = PostgresCursor(row)
            let name = cursor.text(0), type = cursor.text(1)
            switch type {
            case "bigint": return (name, .int64)
            case "double precision": return (name, .float64)
            case "boolean": return (name, .bool)
            case "text": return (name, .string)
            case "bytea": return (name, .bytes)
            default: throw LarderError(.storage, "\(link.address): column \(table).\(name) has type \(type), which migrate-store does not copy")
            }
        }
    }

    /// The primary key columns of the target's `table`, in key order.
    private func primaryKey(of table: String) throws -> [String] {
        try link.query("""
            SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = $1::text::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)
            """, PostgresBindings(table)).rows.map { PostgresCursor($0).text(0) }
    }
}
