extension SQLiteSession: TableSource {
    func tableNames() throws -> [String] {
        let statement = try db.statement("""
            SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'larder_migrations' ORDER BY name
            """)
        defer { statement.reset() }
        var names: [String] = []
        while try statement.step() { names.append(statement.text(0)) }
        return names
    }

    func columnNames(of table: String) throws -> [String] {
        let statement = try db.statement("SELECT name FROM pragma_table_info(?) ORDER BY cid")
        statement.bind(table, at: 1)
        defer { statement.reset() }
        var names: [String] = []
        while try statement.step() { names.append(statement.text(0)) }
        return names
    }

    /// Text columns compare with SQLite's default collation, BINARY (bytes).
    func scanTable(_ table: String, columns: [(name: String, type: FeatureType)], orderedBy: [String], batchRows: Int,
                   _ body: ([Column]) throws -> Void) throws {
        let statement = try db.statement("""
            SELECT \(columns.map { Identifier.quoted($0.name) }.joined(separator: ", ")) FROM \(Identifier.quoted(table))
            ORDER BY \(orderedBy.map(Identifier.quoted).joined(separator: ", "))
            """)
        defer { statement.reset() }
        var batch = columns.map { Column(type: $0.type, capacity: batchRows) }
        while try statement.step() {
            for i in batch.indices { batch[i].append(from: statement, at: Int32(i)) }
            if batch[0].count == batchRows {
                try body(batch)
                batch = columns.map { Column(type: $0.type, capacity: batchRows) }
            }
        }
        if batch[0].count > 0 { try body(batch) }
    }
}
