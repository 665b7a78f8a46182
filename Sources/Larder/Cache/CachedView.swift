/// A cached view version: an immutable base snapshot (usually a mapped
/// snapshot file) and, when runs were committed after it, a small delta
/// snapshot of their rows (in memory). Queries read both under the one
/// point-in-time rule (see ``PointInTime/combine(_:_:in:)``); a compaction
/// folds the delta into a new base when it grows (see ``FeatureCache``).
///
/// Rows are numbered across both: the base's rows first, then the delta's
/// from ``split`` on.
final class CachedView: Sendable {
    /// The rows up to the base's last run.
    let base: ViewSnapshot
    /// The rows of later runs, or `nil`.
    let delta: ViewSnapshot?

    /// The view version `base` (and `delta`) hold the rows of.
    init(base: ViewSnapshot, delta: ViewSnapshot? = nil) {
        self.base = base
        self.delta = delta
    }

    /// The view version.
    var view: FeatureView { base.view }

    /// The first row number of the delta: the base's row count.
    var split: Int { base.rowCount }

    /// The last run the rows cover.
    var lastRun: Int64 { delta?.lastRun ?? base.lastRun }

    /// Rows in both.
    var rowCount: Int { base.rowCount + (delta?.rowCount ?? 0) }

    /// Memory of both, in bytes.
    var byteCount: Int { base.byteCount + (delta?.byteCount ?? 0) }

    /// Whether this holds the rows of the view version `id` created at
    /// `createdAt`.
    @inline(__always) func holds(id: Int64, createdAt: Int64) -> Bool { base.holds(id: id, createdAt: createdAt) }
}
