/// A growable bit set, one bit per row: the validity bitmap of a column
/// (bit set = value present, clear = null), laid out as Arrow lays it
/// (least significant bit first).
public struct Bitmap: Sendable, Equatable {
    /// The bits, 64 per word.
    @usableFromInline var words: [UInt64] = []
    /// The number of bits.
    public var count: Int { _count }
    @usableFromInline var _count = 0

    /// An empty bitmap.
    public init() {}

    /// A bitmap of `count` bits, all set to `value`.
    public init(repeating value: Bool, count: Int) {
        words = Array(repeating: value ? ~0 : 0, count: (count + 63) / 64)
        self._count = count
        if value, count % 64 != 0 { words[words.count - 1] = (1 << UInt64(count % 64)) - 1 }
    }

    /// A bitmap of `codes.count` bits, bit `i` set when `codes[i] == code`,
    /// built a word at a time.
    init(marking codes: [UInt8], where code: UInt8) {
        _count = codes.count
        words = codes.withUnsafeBufferPointer { codes in
            [UInt64](unsafeUninitializedCapacity: (codes.count + 63) / 64) { words, initialized in
                for w in 0..<words.count {
                    var word: UInt64 = 0
                    for i in (w << 6)..<min(codes.count, (w + 1) << 6) where codes[i] == code { word |= 1 << UInt64(i & 63) }
                    words[w] = word
                }
                initialized = words.count
            }
        }
    }

    /// Bit `index`.
    @inlinable public subscript(index: Int) -> Bool {
        get { words[index >> 6] & (1 << UInt64(index & 63)) != 0 }
        set {
            if newValue { words[index >> 6] |= 1 << UInt64(index & 63) }
            else { words[index >> 6] &= ~(1 << UInt64(index & 63)) }
        }
    }

    /// Appends one bit.
    @inlinable public mutating func append(_ value: Bool) {
        if _count & 63 == 0 { words.append(0) }
        if value { words[_count >> 6] |= 1 << UInt64(_count & 63) }
        _count += 1
    }

    /// Reserves room for `capacity` bits.
    public mutating func reserveCapacity(_ capacity: Int) {
        words.reserveCapacity((capacity + 63) / 64)
    }

    /// Calls `body` with the bits as 64-bit words, least significant bit
    /// first (Arrow's validity bitmap layout), so that another library can
    /// read them in place; bits past ``count`` in the last word are clear.
    public func withUnsafeWords<R>(_ body: (UnsafeBufferPointer<UInt64>) -> R) -> R {
        words.withUnsafeBufferPointer(body)
    }

    /// The number of set bits.
    public var nonzeroBitCount: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

    /// Removes all bits, keeping the storage.
    public mutating func removeAll(keepingCapacity: Bool = true) {
        words.removeAll(keepingCapacity: keepingCapacity)
        _count = 0
    }
}
