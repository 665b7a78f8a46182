/// What a backfill over intervals did, interval by interval.
public struct BackfillReport: Sendable, Equatable {
    /// What happened to one interval.
    public enum Outcome: Sendable, Equatable {
        /// Computed and committed as run `runID` with `rows` rows.
        case committed(runID: Int64, rows: Int)
        /// Already committed with the same definition version and command: not run.
        case skipped
        /// Recomputed (`force`, `lookback`) to the same fingerprint: no new run.
        case unchanged
        /// Failed: nothing was written; the message holds the exit status,
        /// the tail of standard error, or the validation report.
        case failed(String)
        /// Not run, because an earlier interval failed with `failFast`.
        case notRun
    }

    /// Every interval from `from` to `to` with its outcome, in order.
    public var intervals: [(interval: BackfillInterval, outcome: Outcome)]

    /// True when every interval is in the store (committed now, before, or unchanged).
    public var allCommitted: Bool {
        intervals.allSatisfy {
            switch $0.outcome {
            case .committed, .skipped, .unchanged: true
            case .failed, .notRun: false
            }
        }
    }

    /// Compares interval by interval.
    public static func == (a: BackfillReport, b: BackfillReport) -> Bool {
        a.intervals.map(\.interval) == b.intervals.map(\.interval) && a.intervals.map(\.outcome) == b.intervals.map(\.outcome)
    }
}
