/// What computes the rows of one backfill interval.
public enum IntervalProducer: Sendable {
    /// A shell command (`/bin/sh -c`), run once per interval with `{start}`
    /// and `{end}` replaced by the interval's bounds in RFC 3339, and the
    /// environment variables `LARDER_START`, `LARDER_END`, `LARDER_VIEW`
    /// and `LARDER_VERSION`; its standard output is read as CSV or JSON Lines
    /// (``IngestOptions/format``, CSV when nil).
    case command(String)
    /// A Swift function returning the interval's rows as a frame (columns
    /// as for ``FeatureStore/write(view:version:frame:options:)``). `name`
    /// identifies the function in the ledger, as a command line does: change
    /// it when the function changes, so its intervals are recomputed.
    case function(name: String, @Sendable (BackfillInterval) throws -> FeatureFrame)

    /// The command line for `interval` with its placeholders expanded, or the function's name.
    func identity(for interval: BackfillInterval) -> String {
        switch self {
        case .command(let text):
            text.replacing("{start}", with: BackfillInterval.text(interval.start))
                .replacing("{end}", with: BackfillInterval.text(interval.end))
        case .function(let name, _):
            name
        }
    }
}
