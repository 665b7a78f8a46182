/// A join key value to look up: one component per join key of an entity,
/// read in place (no key value is built or copied to probe the index).
///
/// Callers check the component types against the entity's join keys before
/// probing: component `c` is read with ``int64(_:)`` when join key `c` is an
/// `int64` key and with ``withUTF8(_:_:)`` when it is a `string` key.
package protocol KeyProbe {
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

/// Row `row` of stored key columns: a distinct key of a ``KeyIndex``.
struct StoredKey: KeyProbe {
    /// One column per join key.
    let columns: [StoredColumn]
    /// The row holding the key.
    let row: Int

    @inline(__always) func int64(_ component: Int) -> Int64 { columns[component].int64(row) }

    @inline(__always) func withUTF8<R>(_ component: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        body(columns[component].bytes(row))
    }
}

/// Where the values of a key's latest row sit in its record (see
/// ``KeyIndex/latest``).
///
/// The record starts with validity bits (one per feature it holds), then
/// each feature's words in view order: one for a fixed-width value (`int64`,
/// `float64`, `bool`, `timestamp`: see ``bits(_:_:)``); three for a
/// `string` or `bytes` value — its length, then its bytes when it has at
/// most 16 (inline), or the length with the top bit set and the value's
/// start in the column's bytes. Vectors are not in the record.
struct RecordLayout: Sendable, Equatable {
    /// For each feature of the view, its validity bit, or `nil` when the
    /// record does not hold it.
    let bit: [Int?]
    /// For each feature of the view, its first word from the record's
    /// start, or `nil` when the record does not hold it.
    let word: [Int?]
    /// Words of the whole record.
    let words: Int
    /// Words of validity bits at the record's start.
    let validityWords: Int
    /// The longest `string` or `bytes` value held in the record itself.
    static let inlineBytes = 16
    /// The flag set in a text length word when the bytes are in the column.
    static let outOfLine: UInt64 = 1 << 63

    /// The layout for features of `types`, in view order.
    init(_ types: [FeatureType]) {
        let widths = types.map { type -> Int in
            switch type {
            case .int64, .float64, .bool, .timestamp: 1
            case .string, .bytes: 3
            case .vector: 0
            }
        }
        let held = widths.filter { $0 > 0 }.count
        validityWords = (held + 63) / 64
        var nextBit = 0, nextWord = validityWords
        var bit: [Int?] = [], word: [Int?] = []
        for width in widths {
            guard width > 0 else {
                bit.append(nil)
                word.append(nil)
                continue
            }
            bit.append(nextBit)
            word.append(nextWord)
            nextBit += 1
            nextWord += width
        }
        self.bit = bit
        self.word = word
        words = nextWord
    }

    /// The 64 bits that stand for value `row` of a fixed-width `column`.
    @inline(__always) static func bits(_ column: Column, _ row: Int) -> UInt64 {
        switch column.type {
        case .float64: column.doubles[row].bitPattern
        case .int64, .timestamp: UInt64(bitPattern: column.ints[row])
        case .bool: column.bools[row] ? 1 : 0
        case .string, .bytes, .vector: 0
        }
    }

    /// Writes the record of row `row` of `features` at `record` in `table`
    /// (whose words there are zero). The columns are read through a buffer
    /// pointer, so that none is copied.
    func write(_ features: UnsafeBufferPointer<Column>, row: Int, into table: UnsafeMutableBufferPointer<UInt64>, at record: Int) {
        for f in features.indices {
            guard let bit = bit[f], let word = word[f], features[f].validity[row] else { continue }
            table[record + bit >> 6] |= 1 << UInt64(bit & 63)
            switch features[f].type {
            case .string, .bytes:
                let start = features[f].offsets[row], count = features[f].offsets[row + 1] - start
                if count <= RecordLayout.inlineBytes {
                    table[record + word] = UInt64(count)
                    var packed: (UInt64, UInt64) = (0, 0)
                    withUnsafeMutableBytes(of: &packed) { target in
                        features[f].bytes.withUnsafeBytes { source in
                            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + count)]))
                        }
                    }
                    table[record + word + 1] = packed.0
                    table[record + word + 2] = packed.1
                } else {
                    table[record + word] = UInt64(count) | RecordLayout.outOfLine
                    table[record + word + 1] = UInt64(start)
                }
            default:
                table[record + word] = RecordLayout.bits(features[f], row)
            }
        }
    }
}

/// The distinct keys of one view version and where their rows are: keys in
/// ascending order (SQLite's order: integers numerically, text by bytes,
/// composite keys component by component), each with the range of its rows,
/// an open-addressing hash table from key to its position, and a record of
/// each key's latest row.
///
/// Keys are stored once, column-wise, one ``Column`` per join key (`int64`
/// keys as `[Int64]`, `string` keys offset-encoded), with no per-key object;
/// the rows of key `k` are `rowStarts[k] ..< rowStarts[k + 1]`. The hash
/// table is one flat `[UInt32]` of key positions plus one (0: an empty
/// slot), with linear probing at a load factor of at most ½: four bytes per
/// slot, so the table of 100,000 keys fits in 1 MiB and mostly stays in the
/// CPU's caches. Probing compares components in place, so a string key is
/// looked up from the caller's bytes without building a `String`.
///
/// **Latest rows.** An online read almost always answers with the key's
/// last row. Its event time and feature values sit in as many columns as
/// the view has features, plus one, a cache miss each; ``latest`` holds them
/// once more, together, in one record per key: the event time, then the
/// values as ``RecordLayout`` places them (validity bits, one word per
/// fixed-width value, short strings inline). Such a read touches one or two
/// cache lines beside the (small, mostly cached) table, keys and row starts.
/// The records are dense, in key order, so they cost ``recordWords`` × 8
/// bytes per key, not per row or per hash slot.
final class KeyIndex: @unchecked Sendable {
    /// A key found in the index.
    struct Entry {
        /// The key's position among the distinct keys.
        let position: Int
        /// The key's rows are `start ..< end` (never empty).
        let start: Int, end: Int
        /// `event_timestamp` of the key's last row (rows are sorted by event time).
        let lastEvent: Int64
        /// Where the values of the key's last row start in ``KeyIndex/latest``.
        let record: Int
    }

    /// The type of each join key.
    let types: [KeyType]
    /// The distinct keys in ascending order, one column per join key.
    let keys: [StoredColumn]
    /// The rows of key `k` are `rowStarts[k] ..< rowStarts[k + 1]`.
    let rowStarts: UnsafePointer<UInt32>
    /// The hash table: a key's position plus one, or 0 for an empty slot.
    let table: UnsafePointer<UInt32>
    /// Where the latest row's values sit in a record, after its event time.
    let layout: RecordLayout
    /// Words per latest-row record: the event time, then ``layout``.
    let recordWords: Int
    /// The latest-row records, ``recordWords`` words per key, in key order:
    /// key `k`'s record starts at word `k × recordWords`.
    let latest: UnsafePointer<UInt64>
    /// The number of distinct keys.
    let count: Int
    /// `64 - log2(slot count)`: a hash's top bits pick its slot.
    private let shift: UInt64
    /// The slot count minus one.
    private let mask: Int
    /// Whether the key is one `int64` (compared without a loop over components).
    private let isSingleInt: Bool

    /// The index over buffers laid out by ``build(types:keys:rowStarts:eventTimes:features:)``:
    /// `keys` (sorted, distinct), `rowStarts` (one more than keys), a
    /// `table` of `slotCount` slots (a power of two), and the `latest`
    /// records as `layout` places them.
    init(types: [KeyType], keys: [StoredColumn], rowStarts: UnsafePointer<UInt32>, table: UnsafePointer<UInt32>, slotCount: Int,
         latest: UnsafePointer<UInt64>, layout: RecordLayout) {
        self.types = types
        self.keys = keys
        self.rowStarts = rowStarts
        self.table = table
        self.latest = latest
        self.layout = layout
        recordWords = 1 + layout.words
        count = keys.first?.count ?? 0
        isSingleInt = types == [.int64]
        shift = UInt64(64 - slotCount.trailingZeroBitCount)
        mask = slotCount - 1
    }

    /// The hash table and latest-row records of `keys` (sorted, distinct)
    /// whose rows start at `rowStarts` (one more entry than keys: the last
    /// is the row count), over rows whose event times are `eventTimes` and
    /// feature values `features`: a table of at least twice as many slots
    /// as keys (a power of two), with linear probing.
    ///
    /// - Complexity: O(k · f) for k keys and f features.
    static func build(types: [KeyType], keys: [Column], rowStarts: [UInt32], eventTimes: [Int64],
                      features: [Column]) -> (table: [UInt32], latest: [UInt64], layout: RecordLayout) {
        precondition(rowStarts.count == (keys.first?.count ?? 0) + 1, "one row start per key, plus the end")
        let count = rowStarts.count - 1
        var bits: UInt64 = 1
        while (1 << bits) < count * 2 { bits += 1 }
        let slots = 1 << bits
        let table = [UInt32](unsafeUninitializedCapacity: slots) { table, initialized in
            table.initialize(repeating: 0)
            for k in 0..<count {
                var slot = Int(KeyIndex.hash(ColumnsKey(columns: keys, row: k), types: types) &>> (64 - bits))
                while table[slot] != 0 { slot = (slot + 1) & (slots - 1) }
                table[slot] = UInt32(k + 1)
            }
            initialized = slots
        }
        let layout = RecordLayout(features.map(\.type)), recordWords = 1 + layout.words
        let latest = [UInt64](unsafeUninitializedCapacity: count * recordWords) { latest, initialized in
            latest.initialize(repeating: 0)
            features.withUnsafeBufferPointer { features in
                for k in 0..<count {
                    let last = Int(rowStarts[k + 1]) - 1, record = k * recordWords
                    latest[record] = UInt64(bitPattern: eventTimes[last])
                    layout.write(features, row: last, into: latest, at: record + 1)
                }
            }
            initialized = count * recordWords
        }
        return (table, latest, layout)
    }

    /// The rows of key `position`.
    @inline(__always) func rows(of position: Int) -> Range<Int> {
        Int(rowStarts[position])..<Int(rowStarts[position + 1])
    }

    /// The position, rows and latest record of `key`, or `nil` when the view
    /// has no row for it.
    ///
    /// - Complexity: O(1) expected.
    @inline(__always) func entry<P: KeyProbe>(for key: P) -> Entry? {
        position(of: key).map(entry(at:))
    }

    /// The position of `key` among the distinct keys, or `nil` when the view
    /// has no row for it.
    ///
    /// - Complexity: O(1) expected.
    @inline(__always) func position<P: KeyProbe>(of key: P) -> Int? {
        var slot = Int(KeyIndex.hash(key, types: types) &>> shift)
        while true {
            let stored = Int(table[slot])
            if stored == 0 { return nil }
            let position = stored - 1
            if isSingleInt ? keys[0].int64(position) == key.int64(0) : matches(position, key) { return position }
            slot = (slot + 1) & mask
        }
    }

    /// Prefetches the hash table slot where a probe for `key` starts, a
    /// step of a pipelined lookup: see ``Retrieval`` (`matches`).
    @inline(__always) func prefetchSlot<P: KeyProbe>(of key: P) {
        Prefetch.read(table + Int(KeyIndex.hash(key, types: types) &>> shift))
    }

    /// Prefetches the stored key that a probe for `key` compares first
    /// (reading its slot, which ``prefetchSlot(of:)`` brought in earlier).
    @inline(__always) func prefetchStoredKey<P: KeyProbe>(of key: P) {
        let stored = Int(table[Int(KeyIndex.hash(key, types: types) &>> shift)])
        if isSingleInt, stored > 0 { Prefetch.read(keys[0].buffers.values + (stored - 1) * 8) }
    }

    /// Prefetches what ``entry(at:)`` reads for the key at `position`.
    @inline(__always) func prefetchEntry(at position: Int) {
        Prefetch.read(rowStarts + position)
        Prefetch.read(latest + position * recordWords)
    }

    /// The rows and latest record of the key at `position`.
    @inline(__always) func entry(at position: Int) -> Entry {
        let record = position * recordWords
        return Entry(position: position, start: Int(rowStarts[position]), end: Int(rowStarts[position + 1]),
                     lastEvent: Int64(bitPattern: latest[record]), record: record + 1)
    }

    /// Whether the key at `position` equals `key`.
    private func matches<P: KeyProbe>(_ position: Int, _ key: P) -> Bool {
        KeyIndex.compare(StoredKey(columns: keys, row: position), key, types: types) == 0
    }

    // MARK: Key order and hashing

    /// Compares key `a` with key `b` (of join key types `types`) in SQLite's
    /// order: negative, zero or positive.
    @inline(__always)
    static func compare<A: KeyProbe, B: KeyProbe>(_ a: A, _ b: B, types: [KeyType]) -> Int {
        for component in types.indices {
            if types[component] == .int64 {
                let x = a.int64(component), y = b.int64(component)
                if x != y { return x < y ? -1 : 1 }
            } else {
                let order = a.withUTF8(component) { x in b.withUTF8(component) { y in compareBytes(x, y) } }
                if order != 0 { return order }
            }
        }
        return 0
    }

    /// `memcmp` order, then shorter first: SQLite's `BINARY` collation.
    private static func compareBytes(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
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
}
