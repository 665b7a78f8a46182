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
}
