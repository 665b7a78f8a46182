/// How a backfill over intervals runs (``FeatureStore/backfill(view:version:producer:options:progress:)``).
public struct BackfillOptions: Sendable {
    /// The first instant of the first interval.
    public var from: Timestamp
    /// The end of the last interval: `from` plus a whole number of ``every``.
    public var to: Timestamp
    /// The length of each interval, in microseconds.
    public var every: Int64
    /// How each interval's output is read and validated. Rows whose event
    /// time falls outside their interval are always a validation problem;
    /// ``IngestOptions/skipIfUnchanged`` is not used (the ledger decides).
    public var ingest = IngestOptions()
    /// Recompute every interval, also those committed with the same fingerprint.
    public var force = false
    /// Recompute the intervals that end within this many microseconds
    /// before ``to`` (late data), as new runs; 0 recomputes none.
    public var lookback: Int64 = 0
    /// Up to this many intervals computed at once; their writes stay serialized, in interval order.
    public var jobs = 1
    /// Seconds a command may run before it is killed and its interval fails; nil waits for ever.
    public var timeoutSeconds: Double?
    /// Stop at the first failed interval (the others are not run).
    public var failFast = false

    /// Intervals of `every` microseconds from `from` to `to`.
    public init(from: Timestamp, to: Timestamp, every: Int64) {
        self.from = from
        self.to = to
        self.every = every
    }
}
