/// One interval `[start, end)` of a backfill over history: the tile a
/// pipeline computes in one run.
public struct BackfillInterval: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The first instant of the interval (inclusive).
    public var start: Timestamp
    /// The instant after its last (exclusive).
    public var end: Timestamp

    /// The interval `[start, end)`.
    public init(start: Timestamp, end: Timestamp) {
        self.start = start
        self.end = end
    }

    /// `START/END` in RFC 3339 (ISO 8601's interval notation), as run sources name it.
    public var description: String { "\(Self.text(start))/\(Self.text(end))" }

    /// Orders intervals by start, then end.
    public static func < (a: BackfillInterval, b: BackfillInterval) -> Bool {
        (a.start, a.end) < (b.start, b.end)
    }

    /// Whether `time` falls in `[start, end)`.
    func contains(_ time: Int64) -> Bool { time >= start.microseconds && time < end.microseconds }

    /// Whether the two intervals share an instant.
    func overlaps(_ other: BackfillInterval) -> Bool { start < other.end && other.start < end }

    /// `time` in RFC 3339, UTC, without a fraction when it has none
    /// (`2026-01-01T00:00:00Z`): what `{start}` and `{end}` expand to.
    public static func text(_ time: Timestamp) -> String {
        let full = time.description
        guard time.microseconds % 1_000_000 == 0, let dot = full.lastIndex(of: ".") else { return full }
        return String(full[..<dot]) + "Z"
    }

    /// The gap-free tiles `[from, from + every)`, `[from + every, from + 2·every)`,
    /// … up to `to`, which must be `from` plus a whole number of `every`
    /// (so that re-running with a later `to` extends the same grid).
    static func tiles(from: Timestamp, to: Timestamp, every: Int64) throws(LarderError) -> [BackfillInterval] {
        guard every > 0 else { throw .invalidInput("--every must be a positive duration such as 1h or 1d") }
        guard from < to else { throw .invalidInput("--from \(text(from)) must be before --to \(text(to))") }
        let span = to.microseconds - from.microseconds
        guard span % every == 0 else {
            throw .invalidInput("--to \(text(to)) is not --from \(text(from)) plus a whole number of --every \(DurationText.format(every))")
        }
        return stride(from: from.microseconds, to: to.microseconds, by: Int(every)).map {
            BackfillInterval(start: Timestamp(microseconds: $0), end: Timestamp(microseconds: $0 + every))
        }
    }
}
