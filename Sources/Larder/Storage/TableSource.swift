/// A store's tables as `larder migrate-store` reads them from the store it
/// copies: their names, their columns, and their rows in a given order.
/// Every call of one copy happens inside ``CacheSource/reading(_:)``, one
/// read transaction, so the copy is one state of the store. SQLite
/// implements it in `SQLiteEngine/`.
package protocol TableSource {
    /// The names of the store's tables, Larder's and the view versions',
    /// but the engine's own and the migration bookkeeping.
    func tableNames() throws -> [String]
    /// The names of `table`'s columns, in table order.
    func columnNames(of table: String) throws -> [String]
    /// Hands `body` the rows of `table`, `batchRows` at a time, as one
    /// column of each of `columns`' types, in the order of the columns
    /// `orderedBy` (text compared byte by byte).
    func scanTable(_ table: String, columns: [(name: String, type: FeatureType)], orderedBy: [String], batchRows: Int,
                   _ body: ([Column]) throws -> Void) throws
}
