/// A minimal FlatBuffers writer, enough for Arrow's IPC metadata: tables of
/// scalars, strings, offsets and unions; vectors of offsets and of structs.
///
/// Like the reference builders it writes back to front, so every object is
/// finished before anything that refers to it, and every offset points
/// forward as the format requires. Objects are named by their distance from
/// the end of the buffer (``Offset``), which does not change as the buffer
/// grows at the front. Every scalar is aligned to its size relative to the
/// end, and ``finish(root:)`` pads the front so the whole buffer is a
/// multiple of the largest alignment used; scalars are then aligned relative
/// to the start too.
///
/// See <https://flatbuffers.dev/internals/> for the binary format.
struct FlatBufferBuilder {
    /// A finished object (table, string or vector), as its distance in bytes
    /// from the end of the buffer.
    struct Offset {
        fileprivate let distance: Int
    }

    /// The bytes written so far are `storage[head...]`.
    private var storage: [UInt8]
    private var head: Int
    /// The largest alignment used, which the finished size must be a multiple of.
    private var minimumAlignment = 1
    /// The fields of the table being built: vtable slot and distance of the value.
    private var fields: [(slot: Int, distance: Int)] = []
    /// The distance at which the table being built started.
    private var tableStart = 0

    /// An empty builder; it grows as needed.
    init() {
        storage = [UInt8](repeating: 0, count: 1024)
        head = storage.count
    }

    /// The number of bytes written so far.
    private var size: Int { storage.count - head }

    // MARK: Raw writing

    /// Makes room for `count` more bytes at the front.
    private mutating func reserve(_ count: Int) {
        guard head < count else { return }
        let used = size
        var capacity = storage.count * 2
        while capacity - used < count { capacity *= 2 }
        var grown = [UInt8](repeating: 0, count: capacity)
        grown.replaceSubrange((capacity - used)..<capacity, with: storage[head...])
        storage = grown
        head = capacity - used
    }

    /// Writes zero bytes so that, once `additional` more bytes are written,
    /// the size is a multiple of `alignment` (a power of two).
    private mutating func align(_ alignment: Int, additional: Int = 0) {
        minimumAlignment = max(minimumAlignment, alignment)
        let padding = -(size + additional) & (alignment - 1)
        reserve(padding)
        for _ in 0..<padding {
            head -= 1
            storage[head] = 0
        }
    }

    /// Writes `value` little-endian, aligned to its size.
    private mutating func prepend<T: FixedWidthInteger>(_ value: T) {
        align(MemoryLayout<T>.size)
        reserve(MemoryLayout<T>.size)
        head -= MemoryLayout<T>.size
        var v = value
        for i in 0..<MemoryLayout<T>.size {
            storage[head + i] = UInt8(truncatingIfNeeded: v)
            v = v >> 8
        }
    }

    /// Writes an offset (uoffset_t) that refers to `target`, relative to
    /// where the offset itself lands.
    private mutating func prepend(_ target: Offset) {
        align(4)
        prepend(UInt32(size + 4 - target.distance))
    }

    // MARK: Objects

    /// Writes a string: length, UTF-8 bytes, a terminating zero.
    mutating func createString(_ text: String) -> Offset {
        let utf8 = Array(text.utf8)
        align(4, additional: utf8.count + 1)
        reserve(utf8.count + 1)
        head -= 1
        storage[head] = 0
        head -= utf8.count
        storage.replaceSubrange(head..<(head + utf8.count), with: utf8)
        prepend(UInt32(utf8.count))
        return Offset(distance: size)
    }

    /// Writes a vector of offsets to finished objects.
    mutating func createVector(_ elements: [Offset]) -> Offset {
        align(4, additional: 4 * elements.count)
        for element in elements.reversed() { prepend(element) }
        prepend(UInt32(elements.count))
        return Offset(distance: size)
    }

    /// Writes a vector of structs whose fields are all 8 bytes wide:
    /// `words` holds the fields of every struct in order, `wordsPerStruct`
    /// of them per struct. (Arrow's `Block` is `long, int, long`; its `int`
    /// plus the 4 padding bytes after it is one little-endian word whose
    /// high half is zero.)
    mutating func createStructVector(words: [Int64], wordsPerStruct: Int) -> Offset {
        precondition(words.count % wordsPerStruct == 0)
        align(8, additional: 8 * words.count)
        for word in words.reversed() { prepend(word) }
        prepend(UInt32(words.count / wordsPerStruct))
        return Offset(distance: size)
    }

    // MARK: Tables

    /// Starts a table; add its fields, then call ``endTable()``.
    mutating func startTable() {
        fields.removeAll(keepingCapacity: true)
        tableStart = size
    }

    /// Adds a scalar field, left out when zero: the schema default of every
    /// scalar Arrow's metadata needs from us.
    mutating func add<T: FixedWidthInteger>(slot: Int, _ value: T) {
        guard value != 0 else { return }
        prepend(value)
        fields.append((slot, size))
    }

    /// Adds a boolean field, left out when false (the default).
    mutating func add(slot: Int, _ value: Bool) {
        add(slot: slot, UInt8(value ? 1 : 0))
    }

    /// Adds a field that refers to a finished object.
    mutating func add(slot: Int, _ target: Offset) {
        prepend(target)
        fields.append((slot, size))
    }

    /// Finishes the table: writes its vtable just before it.
    mutating func endTable() -> Offset {
        prepend(Int32(0)) // the table's soffset to its vtable, patched below
        let table = size
        let slotCount = (fields.map(\.slot).max() ?? -1) + 1
        var entries = [UInt16](repeating: 0, count: slotCount)
        for field in fields { entries[field.slot] = UInt16(table - field.distance) }
        for entry in entries.reversed() { prepend(entry) }
        prepend(UInt16(table - tableStart))
        prepend(UInt16(4 + 2 * slotCount))
        let vtable = size
        let soffset = Int32(vtable - table)
        let position = storage.count - table
        for i in 0..<4 { storage[position + i] = UInt8(truncatingIfNeeded: soffset >> (8 * i)) }
        return Offset(distance: table)
    }

    /// Writes the root offset and returns the finished buffer, whose size is
    /// a multiple of the largest alignment used.
    mutating func finish(root: Offset) -> [UInt8] {
        align(max(minimumAlignment, 4), additional: 4)
        prepend(root)
        return Array(storage[head...])
    }
}
