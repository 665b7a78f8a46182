/// Typed rows on their way into one view version: what the readers' typing
/// stage and the library's `write` both produce, what validation checks and
/// what the run writer binds. Columns follow the view: join keys, then
/// features.
package struct WriteBatch: Sendable {
    /// One column per join key, typed `int64` or `string`.
    package var keys: [Column]
    /// Event time of each row (µs, UTC).
    package var eventTimes: [Int64] = []
    /// Created time of each row (µs, UTC).
    package var createdTimes: [Int64] = []
    /// One column per feature of the view, in view order.
    package var features: [Column]
    /// Where each row came from: its 1-based line in the input file (or its
    /// 1-based position for API writes).
    package var lines: [Int] = []

    /// An empty batch for `view`.
    init(view: FeatureView, capacity: Int = 0) {
        keys = view.joinKeys.map { Column(type: $0.type.featureType, capacity: capacity) }
        features = view.features.map { Column(type: $0.type, capacity: capacity) }
        eventTimes.reserveCapacity(capacity)
        createdTimes.reserveCapacity(capacity)
        lines.reserveCapacity(capacity)
    }

    /// The number of rows.
    package var count: Int { eventTimes.count }

    /// Row indexes in primary-key order: keys, event time, created time,
    /// then position (rows of several runs put one after the other come out
    /// in run order where the rest is equal).
    ///
    /// - Complexity: O(n log n).
    func primaryKeyOrder() -> [Int] {
        var order = Array(0..<count)
        if keys.count == 1, keys[0].type == .int64 {
            let k = keys[0].ints, e = eventTimes, c = createdTimes
            k.withUnsafeBufferPointer { k in
                e.withUnsafeBufferPointer { e in
                    c.withUnsafeBufferPointer { c in
                        order.sort { a, b in
                            if k[a] != k[b] { return k[a] < k[b] }
                            if e[a] != e[b] { return e[a] < e[b] }
                            if c[a] != c[b] { return c[a] < c[b] }
                            return a < b
                        }
                    }
                }
            }
            return order
        }
        order.sort { a, b in
            for key in keys {
                if key.type == .int64 {
                    if key.ints[a] != key.ints[b] { return key.ints[a] < key.ints[b] }
                } else {
                    let x = key.byteSlice(a), y = key.byteSlice(b)
                    if x != y { return x.lexicographicallyPrecedes(y) }
                }
            }
            if eventTimes[a] != eventTimes[b] { return eventTimes[a] < eventTimes[b] }
            if createdTimes[a] != createdTimes[b] { return createdTimes[a] < createdTimes[b] }
            return a < b
        }
        return order
    }

    /// Whether row `a` of this batch comes before row `b` of `other` (a
    /// batch of the same view) in primary-key order: keys, event time,
    /// created time.
    func precedes(_ a: Int, _ other: WriteBatch, _ b: Int) -> Bool {
        compare(a, other, b) < 0
    }

    /// How row `a` of this batch compares with row `b` of `other` (a batch
    /// of the same view) in primary-key order (keys, integers by value and
    /// text by bytes as SQLite's `BINARY` collation, then event time, then
    /// created time): -1 before, 0 equal, 1 after.
    @inline(__always)
    package func compare(_ a: Int, _ other: WriteBatch, _ b: Int) -> Int {
        for (key, otherKey) in zip(keys, other.keys) {
            if key.type == .int64 {
                let x = key.ints[a], y = otherKey.ints[b]
                if x != y { return x < y ? -1 : 1 }
            } else {
                let x = key.byteSlice(a), y = otherKey.byteSlice(b)
                if x != y { return x.lexicographicallyPrecedes(y) ? -1 : 1 }
            }
        }
        let (e, f) = (eventTimes[a], other.eventTimes[b])
        if e != f { return e < f ? -1 : 1 }
        let (c, d) = (createdTimes[a], other.createdTimes[b])
        return c == d ? 0 : (c < d ? -1 : 1)
    }

    /// Appends every row of `other`, a batch of the same view.
    mutating func append(contentsOf other: WriteBatch) {
        for k in keys.indices { keys[k].append(contentsOf: other.keys[k]) }
        for f in features.indices { features[f].append(contentsOf: other.features[f]) }
        eventTimes.append(contentsOf: other.eventTimes)
        createdTimes.append(contentsOf: other.createdTimes)
        lines.append(contentsOf: other.lines)
    }

    /// The batch reordered: new row `i` is old row `order[i]`.
    func gathered(_ order: [Int]) -> WriteBatch {
        var out = self
        out.reorder(order)
        return out
    }

    /// Reorders the rows: new row `i` is old row `order[i]` (rows not in
    /// `order` are dropped). One column at a time, each replacing the old, so
    /// that a batch held nowhere else never has more than one column in
    /// memory twice.
    mutating func reorder(_ order: [Int]) {
        let rows = order.map { Int32($0) }
        for k in keys.indices { keys[k] = keys[k].gathering(rows) }
        for f in features.indices { features[f] = features[f].gathering(rows) }
        eventTimes = order.map { [eventTimes] in eventTimes[$0] }
        createdTimes = order.map { [createdTimes] in createdTimes[$0] }
        lines = order.map { [lines] in lines[$0] }
    }

    /// The rows of runs of one view, given as each run's id and batches in
    /// run order, as one batch in primary-key order (ties by run) with
    /// the run of each row; nil when there are none.
    ///
    /// - Complexity: O(n log n) for n rows in all.
    static func sorted(runs: [(id: Int64, batches: [WriteBatch])]) -> (rows: WriteBatch, runIDs: [Int64])? {
        var all: WriteBatch?, runIDs: [Int64] = [], parts = 0
        for (id, batches) in runs {
            for batch in batches {
                if all == nil { all = batch } else { all?.append(contentsOf: batch) }
                runIDs += repeatElement(id, count: batch.count)
                parts += 1
            }
        }
        guard let all else { return nil }
        if parts == 1 { return (all, runIDs) }
        let order = all.primaryKeyOrder()
        return (all.gathered(order), order.map { runIDs[$0] })
    }
}
