/// One typed column of values with a validity bitmap: the unit that readers
/// fill, the writer binds from, the cache is made of, queries gather into and
/// exporters stream out.
///
/// Storage by type (only the buffer of the column's type is used):
/// - `int64`, `timestamp`: ``ints`` (timestamps in µs since the epoch, UTC)
/// - `float64`: ``doubles``
/// - `bool`: ``bools``
/// - `string`, `bytes`: ``bytes`` holds the values back to back and
///   ``offsets`` (count + 1 entries) delimits them
/// - `vector<float32, N>`: ``floats`` holds N values per row (zeros when null)
///
/// A null row still takes its slot in the buffer (0, 0.0, false, empty).
public struct Column: Sendable {
    /// The type of the values.
    public let type: FeatureType
    /// Bit set = value present, clear = null.
    public internal(set) var validity = Bitmap()
    /// Values of `int64` and `timestamp` columns.
    public internal(set) var ints: [Int64] = []
    /// Values of `float64` columns.
    public internal(set) var doubles: [Double] = []
    /// Values of `bool` columns.
    public internal(set) var bools: [Bool] = []
    /// Start offsets into ``bytes`` of `string` and `bytes` values, plus the end.
    public internal(set) var offsets: [Int] = [0]
    /// Concatenated UTF-8 (`string`) or raw (`bytes`) values.
    public internal(set) var bytes: [UInt8] = []
    /// Concatenated elements of `vector` values.
    public internal(set) var floats: [Float] = []

    /// An empty column of `type`.
    public init(type: FeatureType, capacity: Int = 0) {
        self.type = type
        reserveCapacity(capacity)
    }

    /// The number of rows.
    @inlinable public var count: Int { validity.count }

    /// The vector dimension (0 for other types).
    public var dimension: Int {
        if case .vector(let n) = type { return n }
        return 0
    }

    /// Reserves room for `capacity` rows.
    public mutating func reserveCapacity(_ capacity: Int) {
        guard capacity > 0 else { return }
        validity.reserveCapacity(capacity)
        switch type {
        case .int64, .timestamp: ints.reserveCapacity(capacity)
        case .float64: doubles.reserveCapacity(capacity)
        case .bool: bools.reserveCapacity(capacity)
        case .string, .bytes: offsets.reserveCapacity(capacity + 1)
        case .vector(let n): floats.reserveCapacity(capacity * n)
        }
    }

    /// Whether row `row` holds a value.
    @inlinable public func isValid(_ row: Int) -> Bool { validity[row] }

    // MARK: Appending

    /// Appends a null.
    public mutating func appendNull() {
        validity.append(false)
        switch type {
        case .int64, .timestamp: ints.append(0)
        case .float64: doubles.append(0)
        case .bool: bools.append(false)
        case .string, .bytes: offsets.append(bytes.count)
        case .vector(let n): floats.append(contentsOf: repeatElement(0, count: n))
        }
    }

    /// Appends an `int64` or `timestamp` value.
    public mutating func append(_ value: Int64) {
        validity.append(true)
        ints.append(value)
    }

    /// Appends a `float64` value.
    public mutating func append(_ value: Double) {
        validity.append(true)
        doubles.append(value)
    }

    /// Appends a `bool` value.
    public mutating func append(_ value: Bool) {
        validity.append(true)
        bools.append(value)
    }

    /// Appends a `string` or `bytes` value from raw bytes.
    public mutating func append(bytes value: UnsafeRawBufferPointer) {
        validity.append(true)
        bytes.append(contentsOf: value)
        offsets.append(bytes.count)
    }

    /// Appends a `string` value.
    public mutating func append(_ value: String) {
        var value = value
        value.withUTF8 { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Appends a `vector` value; `value.count` must equal the dimension.
    public mutating func append(vector value: some Collection<Float>) {
        precondition(value.count == dimension, "vector of \(value.count) values in a column of dimension \(dimension)")
        validity.append(true)
        floats.append(contentsOf: value)
    }

    /// Appends row `row` of `other`, a column of the same type.
    public mutating func append(from other: Column, row: Int) {
        guard other.validity[row] else { appendNull(); return }
        switch type {
        case .int64, .timestamp: append(other.ints[row])
        case .float64: append(other.doubles[row])
        case .bool: append(other.bools[row])
        case .string, .bytes:
            validity.append(true)
            bytes.append(contentsOf: other.bytes[other.offsets[row]..<other.offsets[row + 1]])
            offsets.append(bytes.count)
        case .vector(let n):
            validity.append(true)
            floats.append(contentsOf: other.floats[(row * n)..<((row + 1) * n)])
        }
    }

    // MARK: Reading

    /// The bytes of a `string` or `bytes` value at `row`.
    @inlinable public func byteSlice(_ row: Int) -> ArraySlice<UInt8> {
        bytes[offsets[row]..<offsets[row + 1]]
    }

    /// The `string` value at `row` (the empty string when null).
    public func string(_ row: Int) -> String {
        String(decoding: byteSlice(row), as: UTF8.self)
    }

    /// The value at `row` as a ``FeatureValue`` (convenient, not fast).
    public func value(_ row: Int) -> FeatureValue {
        guard validity[row] else { return .null }
        switch type {
        case .int64: return .int64(ints[row])
        case .timestamp: return .timestamp(Timestamp(microseconds: ints[row]))
        case .float64: return .float64(doubles[row])
        case .bool: return .bool(bools[row])
        case .string: return .string(string(row))
        case .bytes: return .bytes(Array(byteSlice(row)))
        case .vector(let n): return .vector(Array(floats[(row * n)..<((row + 1) * n)]))
        }
    }

    /// Appends a time to a `timestamp` column.
    public mutating func append(_ value: Timestamp) {
        append(value.microseconds)
    }

    /// Appends a ``FeatureValue``; throws when its type does not fit the column.
    public mutating func append(_ value: FeatureValue) throws(LarderError) {
        switch (value, type) {
        case (.null, _): appendNull()
        case (.int64(let v), .int64), (.int64(let v), .timestamp): append(v)
        case (.timestamp(let v), .timestamp): append(v)
        case (.float64(let v), .float64): append(v)
        case (.int64(let v), .float64): append(Double(v))
        case (.bool(let v), .bool): append(v)
        case (.string(let v), .string): append(v)
        case (.bytes(let v), .bytes): v.withUnsafeBytes { append(bytes: $0) }
        case (.vector(let v), .vector(let n)) where v.count == n: append(vector: v)
        default:
            throw .invalidInput("value \(value) does not fit a column of type \(type)")
        }
    }
}
