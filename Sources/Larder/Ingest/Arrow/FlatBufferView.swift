/// A bounds-checked reader of one FlatBuffer (an Arrow IPC message's
/// metadata) inside the input bytes: every load checks that it lies within
/// the buffer, so hostile metadata gives an error, never an over-read.
///
/// Layout (flatbuffers' binary format, little-endian): the buffer starts with
/// a `uoffset` (u32) to the root table; a table starts with an `soffset`
/// (i32) back to its vtable; a vtable holds its own size (u16), the table's
/// size (u16), then one u16 offset per field (0: absent, the default
/// applies); tables, vectors and strings are reached through a `uoffset`
/// relative to where it is stored; a vector or string starts with its
/// count (u32).
struct FlatBufferView {
    /// The whole input.
    let bytes: [UInt8]
    /// The buffer's range in ``bytes``.
    let range: Range<Int>
    /// Where the buffer is, for messages (`message 3`).
    let place: String

    /// An error naming ``place``.
    func failure(_ what: String) -> LarderError {
        .invalidInput("Arrow IPC \(place): \(what)")
    }

    /// The little-endian integer at `position`.
    func load<T: FixedWidthInteger>(_: T.Type, at position: Int) throws(LarderError) -> T {
        let size = MemoryLayout<T>.size
        guard position >= range.lowerBound, position <= range.upperBound - size else {
            throw failure("the metadata points outside the message (byte \(position))")
        }
        var value: UInt64 = 0
        for i in 0..<size { value |= UInt64(bytes[position + i]) << UInt64(8 * i) }
        return T(truncatingIfNeeded: value)
    }

    /// The root table.
    func root() throws(LarderError) -> FlatTable {
        try table(at: range.lowerBound + Int(load(UInt32.self, at: range.lowerBound)))
    }

    /// The table starting at `position`.
    func table(at position: Int) throws(LarderError) -> FlatTable {
        let vtable = position - Int(try load(Int32.self, at: position))
        let vtableSize = Int(try load(UInt16.self, at: vtable))
        guard vtableSize >= 4, vtableSize % 2 == 0, vtable + vtableSize <= range.upperBound else {
            throw failure("a table's vtable is malformed")
        }
        return FlatTable(buffer: self, position: position, vtable: vtable, fieldCount: (vtableSize - 4) / 2)
    }

    /// The position the `uoffset` stored at `position` points to.
    func target(of position: Int) throws(LarderError) -> Int {
        position + Int(try load(UInt32.self, at: position))
    }
}

/// One table of a ``FlatBufferView``; fields are read by their index in the
/// schema (`.fbs`) order.
struct FlatTable {
    /// The buffer holding the table.
    let buffer: FlatBufferView
    /// Where the table starts.
    let position: Int
    /// Where its vtable starts.
    let vtable: Int
    /// The number of fields the vtable lists.
    let fieldCount: Int

    /// Where field `index` is stored, or nil when it is absent.
    func field(_ index: Int) throws(LarderError) -> Int? {
        guard index < fieldCount else { return nil }
        let offset = Int(try buffer.load(UInt16.self, at: vtable + 4 + 2 * index))
        return offset == 0 ? nil : position + offset
    }

    /// The integer field `index`, or `absent` when it is not stored.
    func scalar<T: FixedWidthInteger>(_ index: Int, _: T.Type, absent: T = 0) throws(LarderError) -> T {
        guard let at = try field(index) else { return absent }
        return try buffer.load(T.self, at: at)
    }

    /// The boolean field `index` (false when absent).
    func flag(_ index: Int) throws(LarderError) -> Bool {
        try scalar(index, UInt8.self) != 0
    }

    /// The table field `index`, or nil when it is absent.
    func table(_ index: Int) throws(LarderError) -> FlatTable? {
        guard let at = try field(index) else { return nil }
        return try buffer.table(at: buffer.target(of: at))
    }

    /// The vector field `index` of elements `elementSize` bytes wide: the
    /// position of its first element and its count (nil when absent).
    func vector(_ index: Int, elementSize: Int) throws(LarderError) -> (start: Int, count: Int)? {
        guard let at = try field(index) else { return nil }
        let vector = try buffer.target(of: at)
        let count = Int(try buffer.load(UInt32.self, at: vector))
        let start = vector + 4
        guard count <= (buffer.range.upperBound - start) / elementSize else {
            throw buffer.failure("a vector of \(count) elements runs past the end of the message")
        }
        return (start, count)
    }

    /// The tables of the vector field `index` (empty when absent).
    func tables(_ index: Int) throws(LarderError) -> [FlatTable] {
        guard let (start, count) = try vector(index, elementSize: 4) else { return [] }
        var tables: [FlatTable] = []
        tables.reserveCapacity(count)
        for i in 0..<count { tables.append(try buffer.table(at: buffer.target(of: start + 4 * i))) }
        return tables
    }

    /// The string field `index`, or nil when it is absent.
    func string(_ index: Int) throws(LarderError) -> String? {
        guard let (start, count) = try vector(index, elementSize: 1) else { return nil }
        let bytes = buffer.bytes[start..<(start + count)]
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw buffer.failure("a name is not valid UTF-8")
        }
        return text
    }
}
