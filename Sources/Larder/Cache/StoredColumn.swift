/// One column of a cached snapshot, read in place from a ``Region`` (a
/// mapped snapshot file or allocated memory): the read-only twin of
/// ``Column``, with the same buffers (see ``ColumnBuffers``).
///
/// `@unchecked Sendable`: the memory is immutable and kept alive by
/// ``owner``.
struct StoredColumn: @unchecked Sendable {
    /// The type of the values.
    let type: FeatureType
    /// The number of rows.
    let count: Int
    /// The column's buffers.
    let buffers: ColumnBuffers
    /// The length of the text buffer, in bytes (`string` and `bytes`).
    let textByteCount: Int
    /// The memory the buffers are in.
    let owner: Region

    init(type: FeatureType, count: Int, buffers: ColumnBuffers, textByteCount: Int, owner: Region) {
        self.type = type
        self.count = count
        self.buffers = buffers
        self.textByteCount = textByteCount
        self.owner = owner
    }

    /// A copy of `column` in memory of its own (for answers read from
    /// SQLite, which are gathered like cached ones).
    init(copying column: Column) {
        var lengths = (0, 0, 0)
        column.withStorage { lengths = ($0.count, $1.count, $2.count) }
        let valuesAt = StoredColumn.aligned(lengths.0), bytesAt = valuesAt + StoredColumn.aligned(lengths.1)
        let region = Region.allocate(byteCount: bytesAt + lengths.2) { memory in
            column.withStorage { validity, values, bytes in
                if validity.count > 0 { memory.copyMemory(from: validity.baseAddress!, byteCount: validity.count) }
                if values.count > 0 { (memory + valuesAt).copyMemory(from: values.baseAddress!, byteCount: values.count) }
                if bytes.count > 0 { (memory + bytesAt).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            }
        }
        self.init(type: column.type, count: column.count, region: region, validityAt: 0, valuesAt: valuesAt,
                  bytesAt: bytesAt, lengths: lengths)
    }

    /// The column whose buffers sit in `region` at the given byte offsets,
    /// with the given lengths; an empty buffer points at zeros.
    init(type: FeatureType, count: Int, region: Region, validityAt: Int, valuesAt: Int, bytesAt: Int, lengths: (Int, Int, Int)) {
        func pointer(_ offset: Int, _ length: Int) -> UnsafeRawPointer {
            length > 0 ? region.base + offset : UnsafeRawPointer(ColumnBuffers.zeros)
        }
        self.init(type: type, count: count,
                  buffers: ColumnBuffers(validity: pointer(validityAt, lengths.0).assumingMemoryBound(to: UInt64.self),
                                         values: pointer(valuesAt, lengths.1),
                                         bytes: pointer(bytesAt, lengths.2).assumingMemoryBound(to: UInt8.self)),
                  textByteCount: lengths.2, owner: region)
    }

    /// `length` rounded up to a multiple of 8.
    @inline(__always) static func aligned(_ length: Int) -> Int { (length + 7) & ~7 }

    // MARK: Reading

    /// Whether row `row` holds a value.
    @inline(__always) func isValid(_ row: Int) -> Bool {
        buffers.validity[row >> 6] & (1 << UInt64(row & 63)) != 0
    }

    /// The `int64` or `timestamp` value at `row`.
    @inline(__always) func int64(_ row: Int) -> Int64 { buffers.values.assumingMemoryBound(to: Int64.self)[row] }

    /// The `float64` value at `row`.
    @inline(__always) func double(_ row: Int) -> Double { buffers.values.assumingMemoryBound(to: Double.self)[row] }

    /// The `bool` value at `row`.
    @inline(__always) func bool(_ row: Int) -> Bool { buffers.values.assumingMemoryBound(to: Bool.self)[row] }

    /// The offset of text value `row` in the text buffer (`row == count`: the end).
    @inline(__always) func offset(_ row: Int) -> Int { buffers.values.assumingMemoryBound(to: Int.self)[row] }

    /// The bytes of the `string` or `bytes` value at `row`.
    @inline(__always) func bytes(_ row: Int) -> UnsafeRawBufferPointer {
        let start = offset(row)
        return UnsafeRawBufferPointer(start: buffers.bytes + start, count: offset(row + 1) - start)
    }

    /// The `N` elements of the `vector<float32, N>` value at `row`.
    @inline(__always) func vector(_ row: Int, dimension: Int) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: buffers.values.assumingMemoryBound(to: Float.self) + row * dimension, count: dimension)
    }

    /// The 64 bits that stand for fixed-width value `row` (see ``RecordLayout``).
    @inline(__always) func bits(_ row: Int) -> UInt64 {
        switch type {
        case .float64: double(row).bitPattern
        case .int64, .timestamp: UInt64(bitPattern: int64(row))
        case .bool: bool(row) ? 1 : 0
        case .string, .bytes, .vector: 0
        }
    }

    /// The value at `row` as a ``FeatureValue``.
    func value(_ row: Int) -> FeatureValue {
        guard isValid(row) else { return .null }
        switch type {
        case .int64: return .int64(int64(row))
        case .timestamp: return .timestamp(Timestamp(microseconds: int64(row)))
        case .float64: return .float64(double(row))
        case .bool: return .bool(bool(row))
        case .string: return .string(String(decoding: bytes(row), as: UTF8.self))
        case .bytes: return .bytes(Array(bytes(row)))
        case .vector(let n): return .vector(Array(vector(row, dimension: n)))
        }
    }

    /// A ``Column`` of the values at `rows` (negative: null).
    func gathering(_ rows: [Int32]) -> Column {
        Column.gather(type: type, from: GatherSources(buffers), rows: rows)
    }

    /// The whole column as a ``Column``.
    func copied() -> Column {
        var out = Column(type: type, capacity: count)
        out.append(contentsOf: self, rows: 0..<count)
        return out
    }

    /// The memory of the column's buffers, in bytes.
    var byteCount: Int {
        let values: Int = switch type {
        case .int64, .float64, .timestamp: count * 8
        case .bool: count
        case .string, .bytes: (count + 1) * 8
        case .vector(let n): count * n * 4
        }
        return (count + 63) / 64 * 8 + values + textByteCount
    }
}
