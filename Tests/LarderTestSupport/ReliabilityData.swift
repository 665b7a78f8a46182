/// The data of the crash and concurrency suites: run `k` of view `events` is
/// a pure function of `k` and its row count, so a test can rebuild what any
/// committed run holds and answer queries with a brute-force oracle.
public enum ReliabilityData {
    /// Entities and one view: `user_id` int64 keys, no TTL, two features.
    public static let definitions = """
        entities:
          - name: user
            join_keys: [{name: user_id, type: int64}]
        feature_views:
          - name: events
            entity: user
            ttl: 0
            features:
              - {name: value, type: int64}
              - {name: score, type: float64}

        """

    /// The number of distinct keys.
    public static let keys = 500
    /// The first event time: 2026-01-01T00:00:00Z, in µs.
    public static let baseTime: Int64 = 1_767_225_600_000_000

    /// One row of a run.
    public struct Row: Equatable, Sendable {
        /// `user_id`.
        public var key: Int64
        /// `event_timestamp`, µs.
        public var event: Int64
        /// `created_timestamp`, µs: the same for every row of a run, growing with `k`.
        public var created: Int64
        /// `value`: identifies the run and the row (`k * 1_000_000 + i`).
        public var value: Int64
        /// `score`: a float with an exact binary form.
        public var score: Double
    }

    /// The rows of run `k`: `count` rows over keys `0..<keys`, with distinct
    /// event times, so no `(key, event, created)` repeats within the run.
    public static func rows(run k: Int, count: Int) -> [Row] {
        var state = UInt64(k) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { i in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = Int64((state >> 33) % UInt64(keys))
            let event = baseTime + Int64((Int(state >> 20) % 20_000) * 60 + i % 60) * 1_000_000 + Int64(i)
            return Row(key: key, event: event, created: baseTime + Int64(k) * 1_000_000, value: Int64(k) * 1_000_000 + Int64(i),
                       score: Double(i % 1_000) / 8)
        }
    }

    /// Run `k` as CSV with a header (times as µs epochs, for `--time-unit us`).
    public static func csv(run k: Int, count: Int) -> String {
        var text = "user_id,event_timestamp,created_timestamp,value,score\n"
        text.reserveCapacity(count * 56)
        for row in rows(run: k, count: count) {
            text += "\(row.key),\(row.event),\(row.created),\(row.value),\(row.score)\n"
        }
        return text
    }

    /// The point-in-time rule by brute force over `rows` of the visible runs,
    /// each tagged with its run id: the value and score of the greatest row by
    /// `(event, created, run)` with key `key` and `event <= time`, or nil.
    public static func oracle(_ rows: [(row: Row, run: Int64)], key: Int64, time: Int64) -> Row? {
        var best: (row: Row, run: Int64)?
        for candidate in rows where candidate.row.key == key && candidate.row.event <= time {
            if let b = best, (b.row.event, b.row.created, b.run) >= (candidate.row.event, candidate.row.created, candidate.run) { continue }
            best = candidate
        }
        return best?.row
    }
}
