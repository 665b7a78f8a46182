/// Which committed runs of a view version to read statistics of: all of
/// them, some by id, or those committed in a time range.
public struct RunSelection: Sendable, Equatable {
    /// The runs by id, when chosen by id.
    package let ids: [Int64]?
    /// The earliest commit time, inclusive.
    package let from: Timestamp?
    /// The latest commit time, exclusive.
    package let to: Timestamp?

    /// Every committed run.
    public static let all = RunSelection(ids: nil, from: nil, to: nil)

    /// One run.
    public static func run(_ id: Int64) -> RunSelection { RunSelection(ids: [id], from: nil, to: nil) }

    /// These runs.
    public static func runs(_ ids: [Int64]) -> RunSelection { RunSelection(ids: ids, from: nil, to: nil) }

    /// The runs committed at or after `from` and before `to` (either may be open).
    public static func committed(from: Timestamp?, to: Timestamp?) -> RunSelection { RunSelection(ids: nil, from: from, to: to) }
}
