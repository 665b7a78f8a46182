/// The SQLite table of one view version: its DDL and whole-table operations.
///
/// Layout: the join keys, `event_timestamp`, `created_timestamp`, `__run_id`,
/// then one column per feature, `WITHOUT ROWID` with primary key
/// `(join keys…, event_timestamp, created_timestamp, __run_id)`. Rows are
/// only ever inserted, never updated.
///
/// The table is not `STRICT`: SQLite cannot store NaN in a REAL column, so a
/// NaN float64 value (allowed only with `allow_nan`) is stored as the text
/// `'NaN'`; readers map text in a float64 column back to NaN.
enum ViewTable {
    /// The name of the run id column.
    static let runColumn = "__run_id"
    /// The columns every view table has between its join keys and its features.
    static let fixedColumns = ["event_timestamp", "created_timestamp", runColumn]

    /// Every column name of `view`'s table, in table order.
    static func columns(_ view: FeatureView) -> [String] {
        view.joinKeys.map(\.name) + fixedColumns + view.features.map(\.name)
    }

    /// Creates the table of `view`.
    static func create(_ view: FeatureView, db: Connection) throws {
        var columns = view.joinKeys.map { "\(Identifier.quoted($0.name)) \($0.type == .int64 ? "INTEGER" : "TEXT") NOT NULL" }
        columns += ["event_timestamp INTEGER NOT NULL", "created_timestamp INTEGER NOT NULL", "\(runColumn) INTEGER NOT NULL"]
        columns += view.features.map { "\(Identifier.quoted($0.name)) \($0.type.sqlType)" }
        let key = (view.joinKeys.map { Identifier.quoted($0.name) } + ["event_timestamp", "created_timestamp", runColumn]).joined(separator: ", ")
        try db.execute("CREATE TABLE \(Identifier.quoted(view.tableName)) (\(columns.joined(separator: ", ")), PRIMARY KEY (\(key))) WITHOUT ROWID")
    }

    /// Copies every row of `old` into `new` (`--carry-data`): features present
    /// in both with the same type keep their values; the others are null.
    static func copyRows(from old: FeatureView, to new: FeatureView, db: Connection) throws {
        guard old.joinKeys == new.joinKeys else {
            throw LarderError.conflict("cannot carry data from \(old.qualifiedName) to \(new.qualifiedName): the join keys differ")
        }
        let target = columns(new).map(Identifier.quoted).joined(separator: ", ")
        let fixed = (old.joinKeys.map(\.name) + ["event_timestamp", "created_timestamp", runColumn]).map(Identifier.quoted)
        let features = new.features.map { feature -> String in
            if let before = old.features.first(where: { $0.name == feature.name }), before.type == feature.type {
                return Identifier.quoted(feature.name)
            }
            return "NULL"
        }
        try db.execute("INSERT INTO \(Identifier.quoted(new.tableName)) (\(target)) SELECT \((fixed + features).joined(separator: ", ")) FROM \(Identifier.quoted(old.tableName))")
    }
}
