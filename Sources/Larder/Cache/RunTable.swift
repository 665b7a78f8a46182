import Synchronization

/// The commit time of every ingest run, by run id: what the `asOf` horizon
/// of the point-in-time rule is checked against. Immutable to its readers;
/// a refresh makes a longer table.
///
/// Run ids come from `AUTOINCREMENT`, so they are dense and a lookup is an
/// array index; a table with holes falls back to a binary search.
///
/// A longer table shares its runs' memory with the table it was made from
/// (each reads only its first ``count`` runs, which never change), so that
/// adding a run to a store of n runs — every write does — costs O(1)
/// amortized, not a copy of n runs.
final class RunTable: Sendable {
    /// The runs' ids and commit times, append-only: a table reads the first
    /// ``RunTable/count``; a longer table made from the longest so far
    /// writes after them, in place, while there is room.
    private final class Columns: @unchecked Sendable {
        /// Run ids, ascending.
        let ids: UnsafeMutablePointer<Int64>
        /// `committed_at` of each run, in the order of ``ids``.
        let committedAt: UnsafeMutablePointer<Int64>
        /// How many runs the columns hold room for.
        let capacity: Int
        /// How many runs have been written: the count of the longest table
        /// made on these columns. Only the table of that count may append
        /// in place.
        let filled: Atomic<Int>

        /// Columns with room for `capacity` runs, the first `runs` of `table` copied in.
        init(capacity: Int, copying runs: Int, of table: RunTable?) {
            self.capacity = capacity
            ids = .allocate(capacity: capacity)
            committedAt = .allocate(capacity: capacity)
            if let table, runs > 0 {
                ids.update(from: table.columns.ids, count: runs)
                committedAt.update(from: table.columns.committedAt, count: runs)
            }
            filled = Atomic(runs)
        }

        deinit {
            ids.deallocate()
            committedAt.deallocate()
        }
    }

    private let columns: Columns
    /// The number of runs in the table.
    let count: Int
    /// The greatest commit time (`Int64.min` when there are no runs): at a
    /// horizon at or after it every run is visible.
    let latestCommit: Int64

    /// A table of no runs.
    convenience init() {
        self.init(columns: Columns(capacity: 0, copying: 0, of: nil), count: 0, latestCommit: .min)
    }

    private init(columns: Columns, count: Int, latestCommit: Int64) {
        self.columns = columns
        self.count = count
        self.latestCommit = latestCommit
    }

    /// The greatest run id (0 when there are no runs).
    var maxID: Int64 { count == 0 ? 0 : columns.ids[count - 1] }

    /// The commit time of the run ``maxID`` (0 when there are no runs).
    var lastCommittedAt: Int64 { count == 0 ? 0 : columns.committedAt[count - 1] }

    /// The commit time of run `id`, or `Int64.max` (never visible) for a run
    /// that is not in the table.
    ///
    /// - Complexity: O(1) when ids are dense, O(log n) otherwise.
    @inline(__always) func commitTime(of id: Int64) -> Int64 {
        guard count > 0 else { return .max }
        let ids = columns.ids
        let guess = id &- ids[0]
        if guess >= 0, guess < Int64(count), ids[Int(guess)] == id { return columns.committedAt[Int(guess)] }
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if ids[mid] < id { low = mid + 1 } else { high = mid }
        }
        return low < count && ids[low] == id ? columns.committedAt[low] : .max
    }

    /// This table with runs appended (their ids greater than ``maxID``).
    /// Its callers are serialised (the cache's refresh lock); readers of
    /// this table and of longer ones may read meanwhile.
    ///
    /// - Complexity: O(new runs) amortized: written after this table's
    ///   runs in place when this is the longest table of its columns and
    ///   they have room, else copied with this table's runs into columns
    ///   of twice the size.
    func appending(ids newIDs: [Int64], committedAt newCommits: [Int64]) -> RunTable {
        let total = count + newIDs.count
        let latest = max(latestCommit, newCommits.max() ?? .min)
        var target = columns
        if total > columns.capacity || !columns.filled.compareExchange(expected: count, desired: total, ordering: .relaxed).exchanged {
            target = Columns(capacity: max(64, 2 * total), copying: count, of: self)
            target.filled.store(total, ordering: .relaxed)
        }
        // Past every reader's count: no table that can be read holds these places yet.
        (target.ids + count).update(from: newIDs, count: newIDs.count)
        (target.committedAt + count).update(from: newCommits, count: newCommits.count)
        return RunTable(columns: target, count: total, latestCommit: latest)
    }

    /// Whether this table and `other` share their runs' memory (one was
    /// made from the other by appending in place).
    func sharesColumns(with other: RunTable) -> Bool {
        columns === other.columns
    }
}
