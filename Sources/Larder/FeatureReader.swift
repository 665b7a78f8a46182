/// A prepared online lookup: feature names, view versions and column
/// positions are resolved once, then each `read(key:)` applies the
/// point-in-time rule with `T = asOf = now`.
///
/// When the reader's views are cached, a read touches no SQLite, takes no
/// lock but the cache's (to pick up its current contents) and looks up no
/// name: it finds the key in each view's hash index, applies the rule, and
/// returns a ``FeatureRow`` that refers to the key's latest-row record (the
/// usual answer) and the cache's columns. Views that are not cached are read
/// from SQLite under the store's lock. A reader sees writes made through its store as soon as they
/// commit, and other processes' commits within about a quarter of a second
/// (a read that finds the check due starts it in the background and goes on
/// with the data it has, so no read waits for a refresh).
///
/// ```swift
/// let reader = try store.reader(features: [FeatureReference(parsing: "driver_stats:*")])
/// let row = try reader.read(key: 1001)
/// if let rate = row.double("conv_rate") { … }
/// ```
///
/// A reader is `Sendable`: share one across threads.
public final class FeatureReader: Sendable {
    let store: FeatureStore
    let plan: RetrievalPlan
    /// The join keys a key is made of.
    public let joinKeys: [JoinKey]

    init(store: FeatureStore, plan: RetrievalPlan) throws(LarderError) {
        self.store = store
        self.plan = plan
        self.joinKeys = try plan.sharedJoinKeys()
    }

    /// The feature names, `feature` or `view__feature`, in request order:
    /// the positions the row accessors take.
    public var featureNames: [String] { plan.names }

    /// The position of the feature named `name` (`feature` or
    /// `view__feature`), or `nil`: resolve it once, then read by position.
    public func position(of name: String) -> Int? { plan.positions[name] }

    /// The features of the entity whose single `int64` join key is `key`.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the entity's key is not one
    ///   `int64`; ``LarderError/store(_:)`` when SQLite fails.
    /// - Complexity: O(f + log r) for f features and r rows of the key, when
    ///   the views are cached.
    public func read(key: Int64) throws(LarderError) -> FeatureRow {
        guard joinKeys.count == 1, joinKeys[0].type == .int64 else { throw keyMismatch("one int64") }
        return try read(Int64Key(value: key))
    }

    /// The features of the entity whose single `string` join key is `key`.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the entity's key is not one
    ///   `string`; ``LarderError/store(_:)`` when SQLite fails.
    /// - Complexity: O(f + log r + the key's length) when the views are cached.
    public func read(key: String) throws(LarderError) -> FeatureRow {
        guard joinKeys.count == 1, joinKeys[0].type == .string else { throw keyMismatch("one string") }
        return try read(StringKey(value: key))
    }

    /// The features of the entity whose (composite) key is `key`, one part
    /// per join key in order.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the parts do not match the
    ///   join keys; ``LarderError/store(_:)`` when SQLite fails.
    /// - Complexity: O(f + log r + the key's length) when the views are cached.
    public func read(key: EntityKey) throws(LarderError) -> FeatureRow {
        guard key.parts.map(\.type) == joinKeys.map(\.type) else { throw keyMismatch("\(key)") }
        return try read(key)
    }

    /// The features of every entity of `entities`, which holds one column
    /// per join key (by name; other columns are ignored), in entity order:
    /// the answer of `POST /v1/online-features`. An entity with a null key
    /// part is ``FeatureStatus/notFound``.
    ///
    /// One batch read (see ``read(keys:)-([Int64])``): the answers are those
    /// of one ``read(key:)-(EntityKey)`` per entity, at one "now".
    ///
    /// - Throws: ``LarderError/usage(_:)`` when a join key column is missing
    ///   or of the wrong type; ``LarderError/store(_:)`` when SQLite fails.
    /// - Complexity: O(e · (f + log r)) for e entities when the views are cached.
    public func read(entities: FeatureFrame) throws(LarderError) -> OnlineResult {
        let rows = entities.rowCount
        return try batch(keys: Retrieval.keyColumns(of: plan.parts[0].view, in: entities, rows: rows), count: rows).result()
    }

    /// The features of the entities whose single `int64` join key is each
    /// of `keys`, in key order, read as one batch: the clock is read once,
    /// the cache's contents looked at once, every key found in the views'
    /// indexes first (the index slots prefetched a few keys ahead, so that
    /// the memory latency of many keys overlaps), then the values read
    /// feature by feature. The answers (values, statuses, event times) are
    /// those of one ``read(key:)-(Int64)`` per key made at the batch's "now".
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the entity's key is not one
    ///   `int64`; ``LarderError/store(_:)`` when SQLite fails.
    /// - Complexity: O(k · (f + log r)) for k keys when the views are cached.
    public func read(keys: [Int64]) throws(LarderError) -> OnlineResult {
        try batch(int64Keys: keys).result()
    }

    /// The features of the entities whose single `string` join key is each
    /// of `keys`, in key order, read as one batch (see
    /// ``read(keys:)-([Int64])``).
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the entity's key is not one
    ///   `string`; ``LarderError/store(_:)`` when SQLite fails.
    /// - Complexity: O(k · (f + log r + the key's length)) when the views are cached.
    public func read(keys: [String]) throws(LarderError) -> OnlineResult {
        guard joinKeys.count == 1, joinKeys[0].type == .string else { throw keyMismatch("one string") }
        var column = Column(type: .string, capacity: keys.count)
        for key in keys { column.append(key) }
        return try batch(keys: [column], count: keys.count).result()
    }

    /// The batch read of `keys`, the values of a single `int64` join key
    /// (what the C ABI lays out in its caller's buffers).
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the entity's key is not one
    ///   `int64`; ``LarderError/store(_:)`` when SQLite fails.
    package func batch(int64Keys keys: UnsafeBufferPointer<Int64>) throws(LarderError) -> OnlineBatch {
        guard joinKeys.count == 1, joinKeys[0].type == .int64 else { throw keyMismatch("one int64") }
        var column = Column(type: .int64, capacity: keys.count)
        for key in keys { column.append(key) }
        return try batch(keys: [column], count: keys.count)
    }

    /// The batch read of `keys`, the values of a single `int64` join key.
    package func batch(int64Keys keys: [Int64]) throws(LarderError) -> OnlineBatch {
        try keys.withUnsafeBufferPointer { (keys) throws(LarderError) in try batch(int64Keys: keys) }
    }

    /// The batch read of `keys`, the values of a single `string` join key:
    /// key `i` is the UTF-8 bytes `offsets[i] ..< offsets[i + 1]` of `bytes`.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the entity's key is not one
    ///   `string`; ``LarderError/store(_:)`` when SQLite fails.
    package func batch(stringKeys bytes: UnsafeRawBufferPointer, offsets: UnsafeBufferPointer<Int64>) throws(LarderError) -> OnlineBatch {
        guard joinKeys.count == 1, joinKeys[0].type == .string else { throw keyMismatch("one string") }
        let count = max(0, offsets.count - 1)
        var column = Column(type: .string, capacity: count)
        for i in 0..<count {
            column.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[Int(offsets[i])..<Int(offsets[i + 1])]))
        }
        return try batch(keys: [column], count: count)
    }

    /// The batch read of the `count` keys of `keys` (one column per join
    /// key, of the join keys' types): from the cache when every view is
    /// in it, otherwise one single read per key (which loads the views that
    /// fit, or asks SQLite).
    private func batch(keys: [Column], count: Int) throws(LarderError) -> OnlineBatch {
        let now = Timestamp.nowMicroseconds()
        let cache = store.cache
        if cache.claimCheck(now: now) { store.refreshCacheInBackground() }
        let contents = cache.contents
        let views = plan.parts.compactMap { contents.snapshot(id: $0.id, createdAt: $0.createdAt) }
        if views.count == plan.parts.count {
            return OnlineBatch(plan: plan, views: views, keys: Array(repeating: keys, count: views.count), count: count, at: now,
                               horizon: PointInTime.Horizon(asOf: now, runs: contents.runs))
        }
        var rows: [FeatureRow] = []
        rows.reserveCapacity(count)
        for i in 0..<count {
            rows.append(try Retrieval.hasNullKey(keys, i) ? notFound : read(ColumnsKey(columns: keys, row: i)))
        }
        return OnlineBatch(plan: plan, rows: rows)
    }

    /// The answer for a key that matches nothing (a null key part).
    private var notFound: FeatureRow {
        FeatureRow(plan: plan, first: .notFound, rest: plan.parts.dropFirst().map { _ in .notFound })
    }

    private func keyMismatch(_ given: String) -> LarderError {
        .invalidInput("\(plan.parts.map(\.view.qualifiedName).joined(separator: ", ")) are looked up by \(Retrieval.describe(joinKeys)), not by \(given)")
    }

    private func read<K: KeyProbe>(_ key: K) throws(LarderError) -> FeatureRow {
        let now = Timestamp.nowMicroseconds()
        let cache = store.cache
        if cache.claimCheck(now: now) { store.refreshCacheInBackground() }
        let contents = cache.contents
        let horizon = PointInTime.Horizon(asOf: now, runs: contents.runs)
        if plan.parts.count == 1, let snapshot = contents.snapshot(id: plan.parts[0].id, createdAt: plan.parts[0].createdAt) {
            return FeatureRow(plan: plan, first: .init(key, at: now, in: snapshot, horizon: horizon), rest: [])
        }
        var hits = plan.parts.map { part -> FeatureRow.Hit? in
            contents.snapshot(id: part.id, createdAt: part.createdAt).map { .init(key, at: now, in: $0, horizon: horizon) }
        }
        if hits.contains(where: { $0 == nil }) { try readUncached(key, at: now, into: &hits, contents: contents) }
        return FeatureRow(plan: plan, first: hits[0]!, rest: hits.dropFirst().map { $0! })
    }

    /// Fills the hits of the views that `contents` does not hold.
    private func readUncached<K: KeyProbe>(_ key: K, at now: Int64, into hits: inout [FeatureRow.Hit?],
                                           contents: FeatureCache.Contents) throws(LarderError) {
        let cache = store.cache
        // Views not cached: load them if they may fit, otherwise ask SQLite
        // (without refreshing the cache first, which the periodic check does).
        let mayLoad = plan.parts.indices.contains { p in
            hits[p] == nil && cache.budget > 0 && !contents.refuses(id: plan.parts[p].id, createdAt: plan.parts[p].createdAt)
        }
        try store.withReader { state in
            func fromSQLite(_ part: RetrievalPlan.Part) throws -> FeatureRow.Hit {
                var columns = part.emptyColumns(capacity: 1)
                var eventTime: Int64 = 0
                let match = try state.session.match(key, at: now, asOf: now, in: part.view, into: &columns, eventTime: &eventTime, status: true)
                return .init(columns: columns.map(StoredColumn.init(copying:)), match: match, eventTime: eventTime)
            }
            guard mayLoad else {
                for (p, part) in plan.parts.enumerated() where hits[p] == nil { hits[p] = try fromSQLite(part) }
                return
            }
            try cache.transaction(source: state.session) { transaction in
                let horizon = PointInTime.Horizon(asOf: now, runs: transaction.runs)
                for (p, part) in plan.parts.enumerated() where hits[p] == nil {
                    if let snapshot = try transaction.snapshot(of: part.view) {
                        hits[p] = .init(key, at: now, in: snapshot, horizon: horizon)
                    } else {
                        hits[p] = try fromSQLite(part)
                    }
                }
            }
        }
    }
}
