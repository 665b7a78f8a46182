/// The bytes of one block of a spilled sorted run: a ``WriteBatch`` (and,
/// in skip mode, the raw record of each row) as its buffers back to back,
/// each prefixed by its element count. Blocks are read back only by the
/// process that wrote them, so the layout is the machine's own.
enum SpillCodec {
    /// `batch` and `raw` appended to `out`.
    static func encode(_ batch: WriteBatch, raw: Column?, into out: inout [UInt8]) {
        append(batch.eventTimes, to: &out)
        append(batch.createdTimes, to: &out)
        append(batch.lines, to: &out)
        for column in batch.keys + batch.features + (raw.map { [$0] } ?? []) {
            append(column.validity.words, to: &out)
            switch column.type {
            case .int64, .timestamp: append(column.ints, to: &out)
            case .float64: append(column.doubles, to: &out)
            case .bool: append(column.bools, to: &out)
            case .string, .bytes:
                append(column.offsets, to: &out)
                append(column.bytes, to: &out)
            case .vector: append(column.floats, to: &out)
            }
        }
    }

    /// The batch (and raw records, when `hasRaw`) that ``encode(_:raw:into:)``
    /// wrote for `view` into `bytes`.
    static func decode(_ bytes: [UInt8], view: FeatureView, hasRaw: Bool) -> (WriteBatch, Column?) {
        var at = 0
        var batch = WriteBatch(view: view)
        batch.eventTimes = read(bytes, &at)
        batch.createdTimes = read(bytes, &at)
        batch.lines = read(bytes, &at)
        let rows = batch.eventTimes.count
        func column(_ type: FeatureType) -> Column {
            var c = Column(type: type)
            c.validity.words = read(bytes, &at)
            c.validity._count = rows
            switch type {
            case .int64, .timestamp: c.ints = read(bytes, &at)
            case .float64: c.doubles = read(bytes, &at)
            case .bool: c.bools = read(bytes, &at)
            case .string, .bytes:
                c.offsets = read(bytes, &at)
                c.bytes = read(bytes, &at)
            case .vector: c.floats = read(bytes, &at)
            }
            return c
        }
        batch.keys = batch.keys.map { column($0.type) }
        batch.features = batch.features.map { column($0.type) }
        return (batch, hasRaw ? column(.bytes) : nil)
    }

    /// `values` with their count first.
    private static func append<T: BitwiseCopyable>(_ values: [T], to out: inout [UInt8]) {
        withUnsafeBytes(of: values.count) { out.append(contentsOf: $0) }
        values.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// The array that ``append(_:to:)`` wrote at `at`, which moves past it.
    private static func read<T: BitwiseCopyable>(_ bytes: [UInt8], _ at: inout Int) -> [T] {
        bytes.withUnsafeBytes { all in
            let count = all.loadUnaligned(fromByteOffset: at, as: Int.self)
            let start = at + MemoryLayout<Int>.size
            at = start + count * MemoryLayout<T>.stride
            return [T](unsafeUninitializedCapacity: count) { out, initialized in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: all[start..<at]))
                initialized = count
            }
        }
    }
}
