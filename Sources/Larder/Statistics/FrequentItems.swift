/// A mergeable frequent-items sketch: the Misra–Gries summary (Misra and
/// Gries, "Finding repeated elements", 1982) with the merge of Agarwal,
/// Cormode, Huang, Phillips, Wei and Yi ("Mergeable summaries", PODS 2012),
/// in the lazy form Apache DataSketches uses: up to 2k counters are kept;
/// when there are more, the (k+1)-th largest count is subtracted from every
/// counter and the ones left at zero or below are dropped.
///
/// For every value, its count c here satisfies c ≤ f ≤ c + ``maximumError``,
/// where f is its true frequency and ``maximumError`` ≤ n/(k+1): with
/// k = 128, any value that makes up more than 1/129 of the input (0.78%) is
/// kept. Merging keeps the same guarantee for the union. Values are told
/// apart by their 64-bit ``ItemHash``.
package struct FrequentItems: Sendable, Equatable {
    /// The default number of items reported.
    package static let defaultK = 128

    /// How many items are reported; up to 2k are kept.
    package let k: Int
    /// How many values were added (with repetitions).
    package private(set) var total: Int64 = 0
    /// The most any count here is below the true one (the sum of the subtracted counts).
    package private(set) var maximumError: Int64 = 0
    private var slots: [UInt64: Int] = [:]
    private var hashes: [UInt64] = []
    private var counts: [Int64] = []
    private var values: [[UInt8]] = []

    /// An empty sketch reporting `k` items.
    package init(k: Int = FrequentItems.defaultK) {
        precondition(k >= 1 && k <= Int(UInt16.max), "frequent items k must be in 1...65535")
        self.k = k
    }

    /// One item: a value and the bounds of its frequency.
    package struct Item: Sendable, Equatable {
        /// The value's bytes (UTF-8 for strings, `true`/`false` for bools).
        package let value: [UInt8]
        /// At most the true frequency.
        package let lowerBound: Int64
        /// At least the true frequency.
        package let upperBound: Int64
    }

    /// Adds `count` occurrences of the value with `hash`; `value` gives its bytes when it is new here.
    @inline(__always)
    package mutating func add(hash: UInt64, count: Int64 = 1, value: () -> [UInt8]) {
        total += count
        insert(hash: hash, count: count, value: value)
    }

    private mutating func insert(hash: UInt64, count: Int64, value: () -> [UInt8]) {
        if let slot = slots[hash] {
            counts[slot] += count
            return
        }
        slots[hash] = hashes.count
        hashes.append(hash)
        counts.append(count)
        values.append(value())
        if hashes.count > 2 * k { purge() }
    }

    /// Subtracts the (k+1)-th largest count from every counter and drops the
    /// counters left at zero or below.
    private mutating func purge() {
        let cut = counts.sorted(by: >)[k]
        maximumError += cut
        var keep: [Int] = []
        for i in counts.indices where counts[i] > cut { keep.append(i) }
        hashes = keep.map { hashes[$0] }
        counts = keep.map { counts[$0] - cut }
        values = keep.map { values[$0] }
        slots = Dictionary(uniqueKeysWithValues: hashes.enumerated().map { ($1, $0) })
    }

    /// Adds every value `other` summarizes.
    package mutating func merge(_ other: FrequentItems) {
        total += other.total
        maximumError += other.maximumError
        for i in other.hashes.indices { insert(hash: other.hashes[i], count: other.counts[i]) { other.values[i] } }
    }

    /// Up to k items, most frequent first (ties by value).
    package var items: [Item] {
        let order = counts.indices.sorted {
            counts[$0] != counts[$1] ? counts[$0] > counts[$1] : values[$0].lexicographicallyPrecedes(values[$1])
        }
        return order.prefix(k).map { Item(value: values[$0], lowerBound: counts[$0], upperBound: counts[$0] + maximumError) }
    }

    /// Version 1: k, total, maximum error, then each counter's count and value.
    func write(to out: inout SketchWriter) {
        out.put(UInt8(1))
        out.put(UInt16(k))
        out.put(total)
        out.put(maximumError)
        out.put(UInt32(counts.count))
        for i in counts.indices {
            out.put(counts[i])
            out.put(bytes: values[i])
        }
    }

    /// Reads what ``write(to:)`` wrote; hashes are computed again from the values.
    init(from input: inout SketchReader) throws(LarderError) {
        try input.version(1)
        k = Int(try input.integer(UInt16.self))
        guard k >= 1 else { throw input.malformed("k 0") }
        total = try input.integer()
        maximumError = try input.integer()
        let n = try input.count(atMost: 2 * k)
        for _ in 0..<n {
            let count: Int64 = try input.integer()
            let value = try input.byteString()
            guard count > 0 else { throw input.malformed("count \(count)") }
            let hash = value.withUnsafeBytes { ItemHash.of($0) }
            guard slots[hash] == nil else { throw input.malformed("a value listed twice") }
            slots[hash] = hashes.count
            hashes.append(hash)
            counts.append(count)
            values.append(value)
        }
    }
}
