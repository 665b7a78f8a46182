/// Why a feature has the value it has in an online answer (semantics §3).
public enum FeatureStatus: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// The winning row holds a value.
    case present = "PRESENT"
    /// The winning row holds null (there is no fallback to an older row).
    case nullValue = "NULL_VALUE"
    /// The key has no row (visible at the horizon) in the view.
    case notFound = "NOT_FOUND"
    /// The key has rows, but none within the TTL window ending at the
    /// query time.
    case outsideMaxAge = "OUTSIDE_MAX_AGE"

    /// The wire spelling: `PRESENT`, `NULL_VALUE`, `NOT_FOUND`, `OUTSIDE_MAX_AGE`.
    public var description: String { rawValue }
}
