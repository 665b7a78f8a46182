/// The features of one entity, as read by a ``FeatureReader``: typed
/// accessors by position (fastest) or by name, and a status per feature.
///
/// A row refers to the cache's immutable data rather than copying values
/// out, so building it allocates nothing when the reader's features come
/// from one cached view. When the answer is the key's latest row (the usual
/// online case) the values are read from the key's latest-row record (see
/// ``KeyIndex/latest``), one cache line or two, instead of one column each.
/// Typed accessors return `nil` for a missing or null value; asking for the
/// wrong type (``double(at:)`` of an `int64` feature) is a programming error
/// and traps.
///
/// - Complexity: every accessor by position is O(1) (string, bytes and
///   vector accessors also copy the value out); by name it adds one hash
///   lookup of the name.
public struct FeatureRow: Sendable {
    /// Where one view version's answer is.
    struct Hit: Sendable {
        /// One column per feature of the view: the features of ``snapshot``
        /// for a cached answer, otherwise the columns read from SQLite.
        var columns: [StoredColumn] { snapshot?.features ?? fromSQLite }
        /// The columns of an answer from SQLite (empty for a cached answer,
        /// which holds no reference to its snapshot's columns but the
        /// snapshot: one reference count less to take per read).
        private let fromSQLite: [StoredColumn]
        /// The rule's answer, indexing into ``columns``.
        let match: PointInTime.Match
        /// The cached snapshot holding the winner (its latest-row records),
        /// or `nil` for an answer from SQLite.
        let snapshot: ViewSnapshot?
        /// Where the winning row's record starts in the snapshot's
        /// ``KeyIndex/latest``, when the winner is the key's latest row; -1
        /// otherwise.
        let record: Int
        /// The winning row's event time, for an answer from SQLite (a
        /// cached answer reads it from ``snapshot``).
        let eventTime: Int64

        /// An answer from `columns` with no record, won by a row of event time `eventTime`.
        init(columns: [StoredColumn], match: PointInTime.Match, eventTime: Int64) {
            fromSQLite = columns
            self.match = match
            self.eventTime = eventTime
            snapshot = nil
            record = -1
        }

        /// The answer for a key that matches nothing (a null key part).
        static let notFound = Hit(columns: [], match: .notFound, eventTime: 0)

        /// The answer of the rule for `key` at `time` in a cached view: in
        /// its base, and in each of its delta segments.
        @inline(__always)
        init<K: KeyProbe>(_ key: K, at time: Int64, in cached: CachedView, horizon: PointInTime.Horizon) {
            var snapshot = cached.base
            var entry = snapshot.keys.entry(for: key)
            var match = PointInTime.match(entry, at: time, in: snapshot, horizon: horizon)
            if !cached.deltas.isEmpty {
                // `combined` numbers rows across the view; `match` within `snapshot`, the part of the winner so far.
                var combined = match
                for (segment, delta) in cached.deltas.enumerated() {
                    let deltaEntry = delta.keys.entry(for: key)
                    let inDelta = PointInTime.match(deltaEntry, at: time, in: delta, horizon: horizon)
                    combined = PointInTime.combine(combined, inDelta, segment: segment, in: cached)
                    if case .row(let row) = combined, row >= cached.starts[segment] { (snapshot, entry, match) = (delta, deltaEntry, inDelta) }
                }
                if case .row = combined {} else { match = combined }
            }
            self.match = match
            self.snapshot = snapshot
            eventTime = 0
            fromSQLite = []
            if let entry, match == .row(entry.end - 1) {
                record = entry.record
            } else {
                record = -1
            }
        }

        /// Word `word` of the winner's latest-row record (``record`` ≥ 0).
        @inline(__always) func recordWord(_ word: Int) -> UInt64 { snapshot.unsafelyUnwrapped.keys.latest[record + word] }
    }

    let plan: RetrievalPlan
    /// The answer of the first view version of the plan.
    let first: Hit
    /// The answers of the other view versions, in plan order.
    let rest: [Hit]

    /// The number of features.
    public var count: Int { plan.slots.count }

    /// The feature names, `feature` or `view__feature`, in request order.
    public var featureNames: [String] { plan.names }

    /// The position of the feature named `name` (`feature` or
    /// `view__feature`), or `nil` when there is none or it is ambiguous.
    public func position(of name: String) -> Int? { plan.positions[name] }

    /// The status of feature `index`.
    public func status(at index: Int) -> FeatureStatus {
        let slot = plan.slots[index]
        let match = slot.part == 0 ? first.match : rest[slot.part - 1].match
        switch match {
        case .row(let row):
            let present = slot.part == 0 ? FeatureRow.isPresent(first, slot, row) : FeatureRow.isPresent(rest[slot.part - 1], slot, row)
            return present ? .present : .nullValue
        case .notFound: return .notFound
        case .outsideMaxAge: return .outsideMaxAge
        }
    }

    /// The event time of the row that answers feature `index` (the winner
    /// of its view), or `nil` when no row does (``FeatureStatus/notFound``,
    /// ``FeatureStatus/outsideMaxAge``).
    public func eventTimestamp(at index: Int) -> Timestamp? {
        let slot = plan.slots[index]
        let hit = slot.part == 0 ? first : rest[slot.part - 1]
        guard case .row(let row) = hit.match else { return nil }
        return Timestamp(microseconds: hit.snapshot.map { $0.eventTimes[row] } ?? hit.eventTime)
    }

    /// The status of the feature named `name`.
    public func status(_ name: String) -> FeatureStatus { status(at: locate(name)) }

    /// The value of `float64` feature `index`, or `nil`.
    public func double(at index: Int) -> Double? {
        bits(index, .float64).map { Double(bitPattern: $0) }
    }

    /// The value of the `float64` feature named `name`, or `nil`.
    public func double(_ name: String) -> Double? { double(at: locate(name)) }

    /// The value of `int64` or `timestamp` feature `index` (timestamps in µs
    /// since the epoch), or `nil`.
    public func int64(at index: Int) -> Int64? {
        bits(index, .int64, or: .timestamp).map { Int64(bitPattern: $0) }
    }

    /// The value of the `int64` or `timestamp` feature named `name`, or `nil`.
    public func int64(_ name: String) -> Int64? { int64(at: locate(name)) }

    /// The value of `bool` feature `index`, or `nil`.
    public func bool(at index: Int) -> Bool? {
        bits(index, .bool).map { $0 != 0 }
    }

    /// The value of the `bool` feature named `name`, or `nil`.
    public func bool(_ name: String) -> Bool? { bool(at: locate(name)) }

    /// The value of `string` feature `index`, or `nil`.
    public func string(at index: Int) -> String? {
        withBytes(index, .string) { String(decoding: $0, as: UTF8.self) }
    }

    /// The value of the `string` feature named `name`, or `nil`.
    public func string(_ name: String) -> String? { string(at: locate(name)) }

    /// The value of `bytes` feature `index`, or `nil`.
    public func bytes(at index: Int) -> [UInt8]? {
        withBytes(index, .bytes) { Array($0) }
    }

    /// The value of the `bytes` feature named `name`, or `nil`.
    public func bytes(_ name: String) -> [UInt8]? { bytes(at: locate(name)) }

    /// The value of `vector` feature `index`, or `nil`.
    public func vector(at index: Int) -> [Float]? {
        guard case .vector(let n) = plan.slots[index].type else {
            preconditionFailure("feature \(plan.names[index]) is \(plan.slots[index].type), not a vector")
        }
        let slot = plan.slots[index]
        let hit = slot.part == 0 ? first : rest[slot.part - 1]
        guard case .row(let row) = hit.match, hit.columns[slot.feature].isValid(row) else { return nil }
        return Array(hit.columns[slot.feature].vector(row, dimension: n))
    }

    /// The value of the `vector` feature named `name`, or `nil`.
    public func vector(_ name: String) -> [Float]? { vector(at: locate(name)) }

    /// The value of feature `index` as a ``FeatureValue`` (convenient, not fast).
    public func value(at index: Int) -> FeatureValue {
        let slot = plan.slots[index]
        let hit = slot.part == 0 ? first : rest[slot.part - 1]
        guard case .row(let row) = hit.match else { return .null }
        return hit.columns[slot.feature].value(row)
    }

    /// The value of the feature named `name` as a ``FeatureValue``.
    public func value(_ name: String) -> FeatureValue { value(at: locate(name)) }

    // MARK: Access
    //
    /// Feature `index` as the batch read lays it out (``OnlineBatch``), from
    /// one look at its view's hit: its status code (0 `PRESENT`, 1
    /// `NULL_VALUE`, 2 `NOT_FOUND`, 3 `OUTSIDE_MAX_AGE`), the event time of
    /// the row answering it (0 when none does) and a present fixed-width
    /// value's 64 bits (a `bool` as 0 or 1; 0 otherwise). A present `string`,
    /// `bytes` or vector value's bytes are handed to `payload` instead, in
    /// place (no `String` or array is made).
    @inline(__always)
    package func layout(_ index: Int, payload: (UnsafeRawBufferPointer) -> Void) -> (code: UInt8, time: Int64, bits: UInt64) {
        let slot = plan.slots[index]
        let hit = slot.part == 0 ? first : rest[slot.part - 1]
        let row: Int
        switch hit.match {
        case .row(let winner): row = winner
        case .notFound: return (2, 0, 0)
        case .outsideMaxAge: return (3, 0, 0)
        }
        let time = hit.snapshot.map { $0.eventTimes[row] } ?? hit.eventTime
        guard FeatureRow.isPresent(hit, slot, row) else { return (1, time, 0) }
        switch slot.type {
        case .int64, .timestamp, .float64: return (0, time, FeatureRow.bits(hit, slot) ?? 0)
        case .bool: return (0, time, (FeatureRow.bits(hit, slot) ?? 0) != 0 ? 1 : 0)
        case .string, .bytes: _ = FeatureRow.withBytes(hit, slot, payload)
        case .vector(let n): payload(UnsafeRawBufferPointer(hit.columns[slot.feature].vector(row, dimension: n)))
        }
        return (0, time, 0)
    }

    // The fixed-width accessors read through `first` / `rest` without
    // copying a column (no reference count is touched on the way to the
    // value), so the loads of consecutive accessors can overlap.

    /// The bits of fixed-width feature `index` (see ``RecordLayout/bits(_:_:)``)
    /// when it holds a value; traps when the feature is neither of type
    /// `type` nor `other`.
    @inline(__always)
    private func bits(_ index: Int, _ type: FeatureType, or other: FeatureType? = nil) -> UInt64? {
        let slot = plan.slots[index]
        precondition(slot.type == type || slot.type == other, "feature \(plan.names[index]) is \(slot.type), not \(type)")
        return slot.part == 0 ? FeatureRow.bits(first, slot) : FeatureRow.bits(rest[slot.part - 1], slot)
    }

    @inline(__always)
    private static func bits(_ hit: Hit, _ slot: RetrievalPlan.Slot) -> UInt64? {
        guard case .row(let row) = hit.match, isPresent(hit, slot, row) else { return nil }
        if hit.record >= 0 { return hit.recordWord(slot.recordWord) }
        return hit.columns[slot.feature].bits(row)
    }

    /// Whether the feature of `slot` holds a value in row `row`, the winner of `hit`.
    @inline(__always)
    private static func isPresent(_ hit: Hit, _ slot: RetrievalPlan.Slot, _ row: Int) -> Bool {
        if hit.record >= 0, slot.recordBit >= 0 {
            return hit.recordWord(slot.recordBit >> 6) & (1 << UInt64(slot.recordBit & 63)) != 0
        }
        return hit.columns[slot.feature].isValid(row)
    }

    /// Calls `body` with the bytes of `string` or `bytes` feature `index`
    /// when it holds a value; traps when the feature is not of type `type`.
    private func withBytes<R>(_ index: Int, _ type: FeatureType, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        let slot = plan.slots[index]
        precondition(slot.type == type, "feature \(plan.names[index]) is \(slot.type), not \(type)")
        return slot.part == 0 ? FeatureRow.withBytes(first, slot, body) : FeatureRow.withBytes(rest[slot.part - 1], slot, body)
    }

    private static func withBytes<R>(_ hit: Hit, _ slot: RetrievalPlan.Slot, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard case .row(let row) = hit.match, isPresent(hit, slot, row) else { return nil }
        let start: Int, count: Int
        if hit.record >= 0 {
            let length = hit.recordWord(slot.recordWord)
            count = Int(length & ~RecordLayout.outOfLine)
            if length & RecordLayout.outOfLine == 0 {
                var packed = (hit.recordWord(slot.recordWord + 1), hit.recordWord(slot.recordWord + 2))
                return withUnsafeBytes(of: &packed) { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            start = Int(hit.recordWord(slot.recordWord + 1))
        } else {
            start = hit.columns[slot.feature].offset(row)
            count = hit.columns[slot.feature].offset(row + 1) - start
        }
        return body(UnsafeRawBufferPointer(start: hit.columns[slot.feature].buffers.bytes + start, count: count))
    }

    private func locate(_ name: String) -> Int {
        guard let index = plan.positions[name] else {
            preconditionFailure("no feature named \"\(name)\" in this row (features: \(plan.names.joined(separator: ", ")))")
        }
        return index
    }
}
