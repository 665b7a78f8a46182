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

    /// Row indexes in primary-key order: keys, event time, created time.
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
                            return c[a] < c[b]
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
            return createdTimes[a] < createdTimes[b]
        }
        return order
    }

    /// Whether row `a` of this batch comes before row `b` of `other` (a
    /// batch of the same view) in primary-key order: keys, event time,
    /// created time.
    func precedes(_ a: Int, _ other: WriteBatch, _ b: Int) -> Bool {
        for (key, otherKey) in zip(keys, other.keys) {
            if key.type == .int64 {
                if key.ints[a] != otherKey.ints[b] { return key.ints[a] < otherKey.ints[b] }
            } else {
                let x = key.byteSlice(a), y = otherKey.byteSlice(b)
                if x != y { return x.lexicographicallyPrecedes(y) }
            }
        }
        if eventTimes[a] != other.eventTimes[b] { return eventTimes[a] < other.eventTimes[b] }
        return createdTimes[a] < other.createdTimes[b]
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
        let rows = order.map { Int32($0) }
        out.keys = keys.map { $0.gathering(rows) }
        out.features = features.map { $0.gathering(rows) }
        out.eventTimes = order.map { eventTimes[$0] }
        out.createdTimes = order.map { createdTimes[$0] }
        out.lines = order.map { lines[$0] }
        return out
    }

    /// The rows of `batches` (of one view) as one batch in primary-key order.
    ///
    /// - Complexity: O(n log n) for n rows in all.
    static func sorted(_ batches: [WriteBatch]) -> WriteBatch? {
        guard var all = batches.first else { return nil }
        for batch in batches.dropFirst() { all.append(contentsOf: batch) }
        return batches.count == 1 ? all : all.gathered(all.primaryKeyOrder())
    }
}
