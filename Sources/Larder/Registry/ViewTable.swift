/// The table of one view version, as every storage engine lays it out
/// (the DDL is the engine's: `SQLiteEngine/SQLiteSession+Registry.swift`).
///
/// Layout: the join keys, `event_timestamp`, `created_timestamp`, `__run_id`,
/// then one column per feature, `WITHOUT ROWID` with primary key
/// `(join keys…, event_timestamp, created_timestamp, __run_id)`. Rows are
/// only ever inserted, never updated.
///
/// The table is not `STRICT`: SQLite cannot store NaN in a REAL column, so a
/// NaN float64 value (allowed only with `allow_nan`) is stored as the text
/// `'NaN'`; readers map text in a float64 column back to NaN.
package enum ViewTable {
    /// The name of the run id column.
    package static let runColumn = "__run_id"
    /// The columns every view table has between its join keys and its features.
    package static let fixedColumns = ["event_timestamp", "created_timestamp", runColumn]

    /// Every column name of `view`'s table, in table order.
    package static func columns(_ view: FeatureView) -> [String] {
        view.joinKeys.map(\.name) + fixedColumns + view.features.map(\.name)
    }

    /// The `INSERT … SELECT` that copies `old`'s rows into `new`'s table
    /// (`apply --carry-data`): a feature kept with its type is copied, any
    /// other is NULL. The same text on every engine.
    package static func copyRowsSQL(from old: FeatureView, to new: FeatureView) -> String {
        let target = columns(new).map(Identifier.quoted).joined(separator: ", ")
        let fixed = (old.joinKeys.map(\.name) + fixedColumns).map(Identifier.quoted)
        let features = new.features.map { feature -> String in
            if let before = old.features.first(where: { $0.name == feature.name }), before.type == feature.type {
                return Identifier.quoted(feature.name)
            }
            return "NULL"
        }
        return "INSERT INTO \(Identifier.quoted(new.tableName)) (\(target)) SELECT \((fixed + features).joined(separator: ", ")) FROM \(Identifier.quoted(old.tableName))"
    }
}
