/// The commit time of every ingest run, by run id: what the `asOf` horizon
/// of the point-in-time rule is checked against. Immutable; a refresh makes
/// a longer copy.
///
/// Run ids come from `AUTOINCREMENT`, so they are dense and a lookup is an
/// array index; a table with holes falls back to a binary search.
final class RunTable: Sendable {
    /// Run ids, ascending.
    let ids: [Int64]
    /// `committed_at` of each run, in the order of ``ids``.
    let committedAt: [Int64]
    /// The greatest commit time (`Int64.min` when there are no runs): at a
    /// horizon at or after it every run is visible.
    let latestCommit: Int64

    /// A table of the runs `ids` (ascending) committed at `committedAt`,
    /// the greatest of which is `latestCommit` (computed when not given).
    init(ids: [Int64] = [], committedAt: [Int64] = [], latestCommit: Int64? = nil) {
        self.ids = ids
        self.committedAt = committedAt
        self.latestCommit = latestCommit ?? committedAt.max() ?? .min
    }

    /// The greatest run id (0 when there are no runs).
    var maxID: Int64 { ids.last ?? 0 }

    /// The commit time of the run ``maxID`` (0 when there are no runs).
    var lastCommittedAt: Int64 { committedAt.last ?? 0 }

    /// The commit time of run `id`, or `Int64.max` (never visible) for a run
    /// that is not in the table.
    ///
    /// - Complexity: O(1) when ids are dense, O(log n) otherwise.
    @inline(__always) func commitTime(of id: Int64) -> Int64 {
        guard let first = ids.first else { return .max }
        let guess = id &- first
        if guess >= 0, guess < Int64(ids.count), ids[Int(guess)] == id { return committedAt[Int(guess)] }
        var low = 0, high = ids.count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < ids.count && ids[low] == id ? committedAt[low] : .max
    }

    /// This table with runs appended (their ids greater than ``maxID``).
    ///
    /// - Complexity: O(n) for n runs in all (a copy), with no pass over the old commit times.
    func appending(ids newIDs: [Int64], committedAt newCommits: [Int64]) -> RunTable {
        RunTable(ids: ids + newIDs, committedAt: committedAt + newCommits, latestCommit: max(latestCommit, newCommits.max() ?? .min))
    }
}
