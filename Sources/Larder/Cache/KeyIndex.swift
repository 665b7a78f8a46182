/// A join key value to look up: one component per join key of an entity,
/// read in place (no key value is built or copied to probe the index).
///
/// Callers check the component types against the entity's join keys before
/// probing: component `c` is read with ``int64(_:)`` when join key `c` is an
/// `int64` key and with ``withUTF8(_:_:)`` when it is a `string` key.
protocol KeyProbe {
    /// Component `component` of the key, an `int64` join key.
    func int64(_ component: Int) -> Int64
    /// Calls `body` with the UTF-8 bytes of component `component`, a
    /// `string` join key.
    func withUTF8<R>(_ component: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R
}

/// Row `row` of key columns (`int64` or `string` ``Column``s, one per join
/// key): a spine row, or a distinct key of a ``KeyIndex``.
struct ColumnsKey: KeyProbe {
    /// One column per join key.
    let columns: [Column]
    /// The row holding the key.
    let row: Int

    @inline(__always) func int64(_ component: Int) -> Int64 { columns[component].ints[row] }

    @inline(__always) func withUTF8<R>(_ component: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let column = columns[component]
        let start = column.offsets[row], end = column.offsets[row + 1]
        return column.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }
}

/// The distinct keys of one view version and where their rows are: keys in
/// ascending order (SQLite's order: integers numerically, text by bytes,
/// composite keys component by component), each with the range of its rows,
/// and an open-addressing hash table from key to that range.
///
/// Keys are stored column-wise, one ``Column`` per join key (`int64` keys as
/// `[Int64]`, `string` keys offset-encoded), with no per-key object. The hash
/// table is a flat array of ``Entry`` values with linear probing at a load
/// factor of at most ⅔; an entry holds what a lookup needs next (the row
/// range and the last row's event time), so a lookup of a single `int64`
/// key touches one cache line before the feature values. Probing compares
/// components in place, so a string key is looked up from the caller's bytes
/// without building a `String`.
struct KeyIndex: Sendable {
    /// One slot of the hash table.
    struct Entry: Sendable {
        /// The key itself for a single `int64` join key, otherwise the
        /// key's hash (the components are then compared at ``position``).
        var tag: Int64
        /// The key's position among the distinct keys; -1 for an empty slot.
        var position: Int32
        /// The key's rows are `start ..< end`.
        var start: Int32
        var end: Int32
        /// `event_timestamp` of the key's last row (rows are sorted by event time).
        var lastEvent: Int64

        static let empty = Entry(tag: 0, position: -1, start: 0, end: 0, lastEvent: 0)
    }

    /// The type of each join key.
    let types: [KeyType]
    /// The distinct keys in ascending order, one column per join key.
    let keys: [Column]
    /// The rows of key `k` are `rowStarts[k] ..< rowStarts[k + 1]`.
    let rowStarts: [Int]
    /// The hash table.
    private let entries: [Entry]
    /// `64 - log2(entries.count)`: a hash's top bits pick its slot.
    private let shift: UInt64
    /// Whether the key is one `int64`, which an entry's ``Entry/tag`` holds.
    private let isSingleInt: Bool

    /// An index of `keys` (sorted, distinct) whose rows start at `rowStarts`
    /// (one more entry than keys: the last is the row count), over rows
    /// whose event times are `eventTimes`.
    ///
    /// - Complexity: O(k) for k keys.
    init(types: [KeyType], keys: [Column], rowStarts: [Int], eventTimes: [Int64]) {
        precondition(rowStarts.count == (keys.first?.count ?? 0) + 1, "one row start per key, plus the end")
        precondition(eventTimes.count < Int(Int32.max), "more than 2³¹ rows in one view version")
        self.types = types
        self.keys = keys
        self.rowStarts = rowStarts
        isSingleInt = types == [.int64]
        let count = rowStarts.count - 1
        var bits: UInt64 = 1
        while (1 << bits) * 2 < count * 3 { bits += 1 }
        var entries = [Entry](repeating: .empty, count: 1 << bits)
        let mask = entries.count - 1
        for k in 0..<count {
            let hash = KeyIndex.hash(ColumnsKey(columns: keys, row: k), types: types)
            var slot = Int(hash &>> (64 - bits))
            while entries[slot].position >= 0 { slot = (slot + 1) & mask }
            entries[slot] = Entry(tag: isSingleInt ? keys[0].ints[k] : Int64(bitPattern: hash), position: Int32(k),
                                  start: Int32(rowStarts[k]), end: Int32(rowStarts[k + 1]), lastEvent: eventTimes[rowStarts[k + 1] - 1])
        }
        self.entries = entries
        self.shift = 64 - bits
    }

    /// The number of distinct keys.
    var count: Int { rowStarts.count - 1 }

    /// The rows of key `position`.
    @inline(__always) func rows(of position: Int) -> Range<Int> {
        rowStarts[position]..<rowStarts[position + 1]
    }

    /// The entry of `key`, or `nil` when the view has no row for it.
    ///
    /// - Complexity: O(1) expected.
    @inline(__always) func entry<P: KeyProbe>(for key: P) -> Entry? {
        let mask = entries.count - 1
        let hash = KeyIndex.hash(key, types: types)
        let tag = isSingleInt ? key.int64(0) : Int64(bitPattern: hash)
        var slot = Int(hash &>> shift)
        while true {
            let entry = entries[slot]
            if entry.position < 0 { return nil }
            if entry.tag == tag, isSingleInt || matches(Int(entry.position), key) { return entry }
            slot = (slot + 1) & mask
        }
    }

    /// Whether the key at `position` equals `key`.
    private func matches<P: KeyProbe>(_ position: Int, _ key: P) -> Bool {
        for component in types.indices {
            if types[component] == .int64 {
                if keys[component].ints[position] != key.int64(component) { return false }
            } else {
                let start = keys[component].offsets[position], end = keys[component].offsets[position + 1]
                let equal = key.withUTF8(component) { probe in
                    probe.count == end - start && keys[component].bytes.withUnsafeBytes { stored in
                        probe.elementsEqual(UnsafeRawBufferPointer(rebasing: stored[start..<end]))
                    }
                }
                if !equal { return false }
            }
        }
        return true
    }

    // MARK: Key order and hashing

    /// Compares row `i` of key columns `a` with row `j` of key columns `b`
    /// (same join key types) in SQLite's order: negative, zero or positive.
    static func compare(_ a: [Column], _ i: Int, _ b: [Column], _ j: Int) -> Int {
        for component in a.indices {
            let x = a[component], y = b[component]
            if x.type == .int64 {
                if x.ints[i] != y.ints[j] { return x.ints[i] < y.ints[j] ? -1 : 1 }
            } else {
                let order = compareBytes(x.byteSlice(i), y.byteSlice(j))
                if order != 0 { return order }
            }
        }
        return 0
    }

    /// `memcmp` order, then shorter first: SQLite's `BINARY` collation.
    private static func compareBytes(_ x: ArraySlice<UInt8>, _ y: ArraySlice<UInt8>) -> Int {
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return x.count == y.count ? 0 : (x.count < y.count ? -1 : 1)
    }

    /// The hash of `key`: each component mixed in (integers by value,
    /// strings by their bytes), then scrambled so that the top bits are good.
    @inline(__always) static func hash<P: KeyProbe>(_ key: P, types: [KeyType]) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for component in types.indices {
            let value = types[component] == .int64
                ? UInt64(bitPattern: key.int64(component))
                : key.withUTF8(component, hashBytes)
            h = mix(h, value)
        }
        return h &* 0x9E37_79B9_7F4A_7C15
    }

    @inline(__always) private static func mix(_ h: UInt64, _ value: UInt64) -> UInt64 {
        let x = (h ^ value) &* 0x9E37_79B9_7F4A_7C15
        return x ^ (x &>> 29)
    }

    /// A hash of `bytes`, eight at a time.
    private static func hashBytes(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            h = mix(h, bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(bytes[i]) &<< shift
            shift += 8
            i += 1
        }
        return mix(h, tail)
    }

    /// The approximate memory the index holds, in bytes.
    var byteCount: Int {
        keys.reduce(0) { $0 + $1.byteCount } + rowStarts.count * 8 + entries.count * MemoryLayout<Entry>.stride
    }
}
