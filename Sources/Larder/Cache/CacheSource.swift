/// A run committed to the store, as change detection reports it.
package struct CommittedRun: Sendable, Equatable {
    /// The run's id (ids grow with every run).
    package let id: Int64
    /// When it committed (µs).
    package let committedAt: Int64
    /// The view version it wrote: `view@version`.
    package let view: String, version: Int

    /// Run `id` of `view@version`, committed at `committedAt`.
    package init(id: Int64, committedAt: Int64, view: String, version: Int) {
        self.id = id
        self.committedAt = committedAt
        self.view = view
        self.version = version
    }
}

/// What the cache reads from the store engine below it: change detection
/// (runs, view versions) and the rows of a view version in key order.
/// Every call of one refresh happens inside ``reading(_:)``, one read
/// transaction, so all of them see one state of the store.
///
/// The cache knows nothing else of the engine: SQLite implements this in
/// `SQLiteEngine/`, and another engine implements it the same way.
package protocol CacheSource {
    /// Runs `body` in one read transaction (or in the caller's, when one is open).
    func reading<R>(_ body: () throws -> R) throws -> R
    /// The greatest run id committed (0 when there is none).
    func lastRunID() throws -> Int64
    /// The runs with an id greater than `run`, in id order.
    func runs(after run: Int64) throws -> [CommittedRun]
    /// Every view version that exists: registry id → creation time (µs).
    func viewVersions() throws -> [Int64: Int64]
    /// Whether a run of `view` has an id in `after + 1 ... upTo`.
    func hasRuns(of view: FeatureView, after: Int64, upTo: Int64) throws -> Bool
    /// The rows the committed runs after `run` of `view`'s name wrote into
    /// its version and every older one (whose rows a version may carry,
    /// keeping their runs): at least the rows of `view` in runs after
    /// `run`, from the run list alone.
    func rowsWritten(upTo view: FeatureView, after run: Int64) throws -> Int
    /// Appends the rows of `view` from runs up to `upTo` (and after `after`,
    /// when given) to `builder`, in primary-key order.
    ///
    /// - Returns: `false` as soon as the builder holds more than `byteLimit`
    ///   bytes or ``ViewSnapshot/maxRows`` rows (the scan stops there).
    func scan(_ view: FeatureView, after: Int64?, upTo: Int64, into builder: inout SnapshotBuilder, byteLimit: Int) throws -> Bool
}
