/// A cached view version: an immutable base snapshot (usually a mapped
/// snapshot file) and, when runs were committed after it, small delta
/// segments of their rows (in memory), oldest first, each holding only
/// runs after those of the one before. Queries read them all under the
/// one point-in-time rule (see ``PointInTime/match(_:at:in:horizon:)``); a
/// write appends a segment, and a compaction in the background merges
/// segments and folds them into a new base (see ``FeatureCache``).
///
/// Rows are numbered across all of them: the base's rows first, then each
/// segment's from its start in ``starts`` on.
final class CachedView: Sendable {
    /// The rows up to the base's last run.
    let base: ViewSnapshot
    /// The rows of later runs, oldest segment first.
    let deltas: [ViewSnapshot]
    /// The first row number of each segment of ``deltas``.
    let starts: [Int]
    /// Rows in the base and every segment.
    let rowCount: Int

    /// The view version `base` (and `deltas`) hold the rows of.
    init(base: ViewSnapshot, deltas: [ViewSnapshot] = []) {
        self.base = base
        self.deltas = deltas
        var starts: [Int] = [], next = base.rowCount
        for delta in deltas {
            starts.append(next)
            next += delta.rowCount
        }
        self.starts = starts
        rowCount = next
    }

    /// The view version.
    var view: FeatureView { base.view }

    /// The first row number of the segments: the base's row count.
    var split: Int { base.rowCount }

    /// The last run the rows cover.
    var lastRun: Int64 { deltas.last?.lastRun ?? base.lastRun }

    /// Rows in the segments.
    var deltaRows: Int { rowCount - base.rowCount }

    /// Memory of the base and every segment, in bytes.
    var byteCount: Int { deltas.reduce(base.byteCount) { $0 + $1.byteCount } }

    /// Whether this holds the rows of the view version `id` created at
    /// `createdAt`.
    @inline(__always) func holds(id: Int64, createdAt: Int64) -> Bool { base.holds(id: id, createdAt: createdAt) }

    /// The snapshot that holds row `row` (numbered across all) and the
    /// row's number within it.
    ///
    /// - Complexity: O(1) for a row of the base, O(segments) otherwise.
    @inline(__always) func locate(_ row: Int) -> (snapshot: ViewSnapshot, row: Int) {
        if row < split { return (base, row) }
        var segment = starts.count - 1
        while starts[segment] > row { segment -= 1 }
        return (deltas[segment], row - starts[segment])
    }

    /// Row `row`'s place among the rows of its key (numbered across all):
    /// the rule's tie-break.
    @inline(__always) func sortKey(_ row: Int) -> (Int64, Int64, Int64) {
        let (snapshot, local) = locate(row)
        return snapshot.sortKey(local)
    }
}
