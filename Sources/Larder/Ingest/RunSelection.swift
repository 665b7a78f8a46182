/// Which committed runs of a view version to read statistics of: all of
/// them, some by id, or those committed in a time range.
public struct RunSelection: Sendable, Equatable {
    /// The runs by id, when chosen by id.
    package let ids: [Int64]?
    /// The earliest commit time, inclusive.
    package let from: Timestamp?
    /// The latest commit time, exclusive.
    package let to: Timestamp?

    private init(ids: [Int64]?, from: Timestamp?, to: Timestamp?) {
        self.ids = ids
        self.from = from
        self.to = to
    }

    /// Every committed run.
    public static let all = RunSelection(ids: nil, from: nil, to: nil)

    /// One run.
    public static func run(_ id: Int64) -> RunSelection { RunSelection(ids: [id], from: nil, to: nil) }

    /// These runs.
    public static func runs(_ ids: [Int64]) -> RunSelection { RunSelection(ids: ids, from: nil, to: nil) }

    /// The runs committed at or after `from` and before `to` (either may be open).
    public static func committed(from: Timestamp?, to: Timestamp?) -> RunSelection { RunSelection(ids: nil, from: from, to: to) }

    /// The selection in words, for messages: `every run`, `runs 3, 4`,
    /// `runs committed from 2026-11-01T00:00:00.000000Z to …`.
    package var summary: String {
        if let ids { return (ids.count == 1 ? "run " : "runs ") + ids.map(String.init).joined(separator: ", ") }
        switch (from, to) {
        case (nil, nil): return "every run"
        case (let from?, nil): return "runs committed since \(from)"
        case (nil, let to?): return "runs committed before \(to)"
        case (let from?, let to?): return "runs committed from \(from) to \(to)"
        }
    }

    /// Parses the command line's spelling: `ID` (one run), `FROM..TO`
    /// (commit times, RFC 3339, either side may be empty), or `last:DURATION`
    /// (runs committed in the last `7d`, `12h`, … before `now`).
    public init(parsing text: String, now: Timestamp = .now) throws(LarderError) {
        if let id = Int64(text), id > 0 {
            self = .run(id)
        } else if text.hasPrefix("last:") {
            guard let span = DurationText.parse(String(text.dropFirst(5))), span > 0 else {
                throw LarderError.invalidInput("'\(text)' is not last:DURATION (a duration such as 7d, 12h, 30m)")
            }
            self = .committed(from: Timestamp(microseconds: now.microseconds - span), to: nil)
        } else if text.split(separator: "..", omittingEmptySubsequences: false).count == 2 {
            let parts = text.split(separator: "..", omittingEmptySubsequences: false)
            func time(_ part: Substring) throws(LarderError) -> Timestamp? {
                part.isEmpty ? nil : try Timestamp(parsing: String(part))
            }
            let from = try time(parts[0]), to = try time(parts[1])
            guard from != nil || to != nil else { throw LarderError.invalidInput("'..' chooses no time range: give FROM..TO") }
            self = .committed(from: from, to: to)
        } else {
            throw LarderError.invalidInput("'\(text)' is not a run id, FROM..TO (RFC 3339 commit times) or last:DURATION")
        }
    }
}
