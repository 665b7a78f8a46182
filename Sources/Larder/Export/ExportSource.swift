/// The stored rows of a view version, read by the storage engine for an
/// export (`larder export`).
package protocol ExportSource {
    /// Calls `body` with batches of up to `batchRows` rows of `view` in
    /// primary-key order, each batch one column per table column (join keys,
    /// `event_timestamp`, `created_timestamp`, the run id, then the
    /// features; see ``ViewTable``), keeping the rows whose event time is in
    /// `from..<to` and whose run committed at or before `asOf` (each bound
    /// when given). Reads in one read transaction, so the export sees one
    /// state of the store while others write; `body` returns `false` to stop.
    func scan(_ view: FeatureView, from: Int64?, to: Int64?, asOf: Int64?, batchRows: Int,
              _ body: ([Column]) -> Bool) throws
}
