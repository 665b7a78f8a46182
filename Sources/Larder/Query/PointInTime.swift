/// The point-in-time rule (semantics §3), in one place.
///
/// Given a key `k`, a time `T`, a view version with TTL `ttl` and a horizon
/// `asOf`, the answering row is, among the rows of `k` whose run committed
/// at or before `asOf`, with `event_timestamp <= T` and (when `ttl > 0`)
/// `event_timestamp >= T - ttl`, the greatest by `(event_timestamp,
/// created_timestamp, run_id)`.
///
/// When no row answers, the miss says why: ``Match/notFound`` when the key
/// has no row visible at `asOf`, ``Match/outsideMaxAge`` when it has visible
/// rows but none in the window `[T - ttl, T]` (rows only after `T` count as
/// outside the window too).
///
/// Cached views run ``match(_:at:in:horizon:)``; views answered from SQLite
/// run ``SQLiteRule``, which states the same rule in SQL, and the property
/// tests hold the two to the same answers.
package enum PointInTime {
    /// The answer of the rule for one key at one time.
    package enum Match: Hashable, Sendable {
        /// The winning row (an index into the rows the rule ran over).
        case row(Int)
        /// The key has no row visible at the horizon.
        case notFound
        /// The key has visible rows, but none within the window.
        case outsideMaxAge
    }

    /// Which runs a query sees: those committed at or before ``asOf``.
    struct Horizon {
        /// The horizon (µs since the epoch).
        let asOf: Int64
        /// The commit time of every run, kept only when some run committed
        /// after ``asOf`` (an online read's horizon, "now", sees every run
        /// and holds no reference: one reference count less per read).
        let runs: RunTable?
        /// Every run committed by ``asOf``: no row needs a check.
        var seesEveryRun: Bool { runs == nil }

        /// The horizon `asOf` over `runs`.
        init(asOf: Int64, runs: RunTable) {
            self.asOf = asOf
            self.runs = runs.latestCommit <= asOf ? nil : runs
        }

        /// Whether rows of run `run` are visible.
        @inline(__always) func admits(_ run: Int64) -> Bool {
            guard let runs else { return true }
            return runs.commitTime(of: run) <= asOf
        }
    }

    /// The lower end of the TTL window at `time`: `time - ttl` when
    /// `ttl > 0` (clamped at `Int64.min`), no bound otherwise.
    @inline(__always) package static func windowStart(at time: Int64, ttl: Int64) -> Int64 {
        guard ttl > 0 else { return .min }
        let (start, overflow) = time.subtractingReportingOverflow(ttl)
        return overflow ? .min : start
    }

    /// The rule over a cached view: the row of `cached` (numbered across
    /// its base and delta segments) that answers for `key` at `time` under
    /// `horizon`. The key is found through each snapshot's hash index, the
    /// rule runs in each, and ``combine(_:_:segment:in:)`` picks the answer,
    /// segment by segment.
    @inline(__always)
    static func match<K: KeyProbe>(_ key: K, at time: Int64, in cached: CachedView, horizon: Horizon) -> Match {
        var answer = match(cached.base.keys.entry(for: key), at: time, in: cached.base, horizon: horizon)
        for (segment, delta) in cached.deltas.enumerated() {
            answer = combine(answer, match(delta.keys.entry(for: key), at: time, in: delta, horizon: horizon), segment: segment, in: cached)
        }
        return answer
    }

    /// The rule over the rows of `cached` up to delta segment `segment`,
    /// from its answer over the rows before the segment (`earlier`,
    /// numbered across `cached`) and in the segment (`inSegment`, numbered
    /// within it): the later winner by `(event, created, run)` — the
    /// segment's runs are all newer, so a tie goes to it. A winner is
    /// within the TTL window in its rows, and so after the other side's
    /// candidate when that was outside the window; with no winner, a key
    /// with visible rows on either side is outside the window.
    @inline(__always)
    static func combine(_ earlier: Match, _ inSegment: Match, segment: Int, in cached: CachedView) -> Match {
        switch (earlier, inSegment) {
        case (.row(let a), .row(let b)):
            return cached.sortKey(a) > cached.deltas[segment].sortKey(b) ? earlier : .row(cached.starts[segment] + b)
        case (.row, _): return earlier
        case (_, .row(let b)): return .row(cached.starts[segment] + b)
        case (.outsideMaxAge, _), (_, .outsideMaxAge): return .outsideMaxAge
        default: return .notFound
        }
    }

    /// The rule over a cached view, for the key whose index entry is `entry`
    /// (`nil`: the view has no row for the key).
    ///
    /// Within the key's rows (sorted by `(event, created, run)`) the last row
    /// with `event_timestamp <= time` is found — at once when the key's last
    /// row qualifies (the usual online case: the entry holds its event time,
    /// so no column is read), by binary search otherwise. When the horizon
    /// sees every run that row is the candidate (no run needs a check);
    /// otherwise the walk goes back over rows of runs the horizon does not
    /// see. The candidate is the winner when it is within the TTL window.
    ///
    /// - Complexity: O(log r) for r rows of the key when the horizon sees
    ///   every run; each row of an unseen run adds one step.
    @inline(__always)
    static func match(_ entry: KeyIndex.Entry?, at time: Int64, in snapshot: ViewSnapshot, horizon: Horizon) -> Match {
        guard let entry else { return .notFound }
        let first = entry.start, end = entry.end
        var low = end
        if entry.lastEvent > time {
            low = first
            var high = end - 1
            while low < high {
                let mid = (low + high) >> 1
                if snapshot.eventTimes[mid] <= time { low = mid + 1 } else { high = mid }
            }
        }
        let start = windowStart(at: time, ttl: snapshot.ttl)
        if horizon.seesEveryRun {
            // Every row is visible: the key exists, and the candidate is the last row at or before `time`.
            guard low > first else { return .outsideMaxAge }
            let event = low == end ? entry.lastEvent : snapshot.eventTimes[low - 1]
            return event >= start ? .row(low - 1) : .outsideMaxAge
        }
        var row = low - 1
        while row >= first {
            if horizon.admits(snapshot.runIDs[row]) {
                let event = row == end - 1 ? entry.lastEvent : snapshot.eventTimes[row]
                return event >= start ? .row(row) : .outsideMaxAge
            }
            row -= 1
        }
        for later in low..<end where horizon.admits(snapshot.runIDs[later]) { return .outsideMaxAge }
        return .notFound
    }
}
