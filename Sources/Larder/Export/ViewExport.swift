/// Which stored rows an export includes.
public struct ExportRange: Sendable {
    /// Only rows with `event_timestamp >= from` (µs), when set.
    public var from: Int64?
    /// Only rows with `event_timestamp < to` (µs), when set.
    public var to: Int64?
    /// Only rows of runs committed at or before `asOf` (µs), when set.
    public var asOf: Int64?

    /// Every row.
    public init(from: Int64? = nil, to: Int64? = nil, asOf: Int64? = nil) {
        self.from = from
        self.to = to
        self.asOf = asOf
    }
}

extension FeatureStore {
    /// Streams the rows of `view` at `version` (latest when nil) in `range` to
    /// `output` (`-` for stdout) in `format`, in primary-key order, 65,536
    /// rows at a time: columns are the join keys, `event_timestamp`,
    /// `created_timestamp`, `run_id`, then the features.
    ///
    /// - Returns: the number of rows written.
    /// - Complexity: O(rows); memory is bounded by one batch.
    @discardableResult
    public func export(view: String, version: Int? = nil, range: ExportRange = ExportRange(),
                       format: OutputFormat, output: String) throws(LarderError) -> Int {
        try withState { state in
            let target = try state.registry.view(view, version: version)
            let names = target.joinKeys.map(\.name) + ["event_timestamp", "created_timestamp", "run_id"] + target.features.map(\.name)
            let types = target.joinKeys.map(\.type.featureType) + [.timestamp, .timestamp, .int64] + target.features.map(\.type)
            let columns = ViewTable.columns(target).map(Identifier.quoted).joined(separator: ", ")
            let key = (target.joinKeys.map { Identifier.quoted($0.name) } + ["event_timestamp", "created_timestamp", ViewTable.runColumn]).joined(separator: ", ")
            var sql = "SELECT \(columns) FROM \(Identifier.quoted(target.tableName)) WHERE event_timestamp >= ?1 AND event_timestamp < ?2"
            if range.asOf != nil { sql += " AND \(ViewTable.runColumn) IN (SELECT id FROM runs WHERE committed_at <= ?3)" }
            sql += " ORDER BY \(key)"
            var writer = try format.makeWriter(path: output, names: names, types: types)
            // A read transaction: the export sees one consistent snapshot even while others write.
            try state.db.execute("BEGIN")
            defer { try? state.db.execute("COMMIT") }
            let statement = try state.db.statement(sql)
            defer { statement.reset() }
            statement.bind(range.from ?? Int64.min, at: 1)
            statement.bind(range.to ?? Int64.max, at: 2)
            if let asOf = range.asOf { statement.bind(asOf, at: 3) }
            var total = 0
            var batch = types.map { Column(type: $0, capacity: 65_536) }
            while try statement.step() {
                for i in batch.indices { batch[i].append(from: statement, at: Int32(i)) }
                if batch[0].count == 65_536 {
                    try writer.write(batch, rows: 0..<batch[0].count)
                    total += batch[0].count
                    batch = types.map { Column(type: $0, capacity: 65_536) }
                }
            }
            if batch[0].count > 0 || total == 0 {
                try writer.write(batch, rows: 0..<batch[0].count)
                total += batch[0].count
            }
            try writer.finish()
            return total
        }
    }
}
