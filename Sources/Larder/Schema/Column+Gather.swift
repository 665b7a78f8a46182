/// Pointers to the buffers of one column, wherever they live (a
/// ``Column``'s arrays, or a mapped snapshot file): what a gather reads.
///
/// Only the buffers of the column's type are meaningful: `values` holds
/// `Int64`s (`int64`, `timestamp`), `Double`s (`float64`), one byte per
/// `Bool` (`bool`), the `count + 1` `Int` offsets of `string` and `bytes`
/// (whose text is at `bytes`), or `Float`s, N per row (`vector<float32, N>`).
/// Every pointer can be read at index 0 (an empty buffer points at zeros),
/// so a branch-free gather may read there for a miss.
struct ColumnBuffers {
    /// Validity words, 64 rows each.
    let validity: UnsafePointer<UInt64>
    /// The values (see above).
    let values: UnsafeRawPointer
    /// The text of `string` and `bytes` values.
    let bytes: UnsafePointer<UInt8>

    /// Words of zeros that empty buffers point at.
    nonisolated(unsafe) static let zeros: UnsafeMutableRawPointer = {
        let zeros = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
        zeros.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        return zeros
    }()

    init(validity: UnsafePointer<UInt64>, values: UnsafeRawPointer, bytes: UnsafePointer<UInt8>) {
        self.validity = validity
        self.values = values
        self.bytes = bytes
    }

    /// The pointer of `buffer`, or zeros when it is empty.
    static func pointer(_ buffer: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        buffer.count > 0 ? buffer.baseAddress! : UnsafeRawPointer(zeros)
    }
}

/// Where a gather reads: one source, or several whose rows are numbered
/// one after the other (a cached view's base, then its delta segments):
/// rows below ``split`` are in ``first``, later ones in ``later``, each
/// from its start in ``starts`` on.
struct GatherSources {
    /// The first source.
    let first: ColumnBuffers
    /// The first row not in ``first`` (`Int.max` with one source).
    let split: Int
    /// The later sources.
    let later: [ColumnBuffers]
    /// The first row of each of ``later``, ascending.
    let starts: [Int]

    /// Rows of `first`, then of each of `later` from its start in `starts` on.
    init(_ first: ColumnBuffers, later: [ColumnBuffers] = [], starts: [Int] = []) {
        self.first = first
        self.later = later
        self.starts = starts
        split = starts.first ?? .max
    }

    /// The source and row within it of row `row` (not a miss).
    ///
    /// - Complexity: O(1) for a row of ``first``, O(sources) otherwise.
    @inline(__always) func locate(_ row: Int) -> (ColumnBuffers, Int) {
        if row < split { return (first, row) }
        var source = starts.count - 1
        while starts[source] > row { source -= 1 }
        return (later[source], row - starts[source])
    }
}

extension Column {
    /// Calls `body` with the column's validity words, values and text as raw
    /// bytes (see ``ColumnBuffers`` for what `values` holds per type).
    func withStorage<R>(_ body: (_ validity: UnsafeRawBufferPointer, _ values: UnsafeRawBufferPointer, _ bytes: UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try validity.words.withUnsafeBytes { validity in
            try bytes.withUnsafeBytes { text in
                switch type {
                case .int64, .timestamp: try ints.withUnsafeBytes { try body(validity, $0, text) }
                case .float64: try doubles.withUnsafeBytes { try body(validity, $0, text) }
                case .bool: try bools.withUnsafeBytes { try body(validity, $0, text) }
                case .string, .bytes: try offsets.withUnsafeBytes { try body(validity, $0, text) }
                case .vector: try floats.withUnsafeBytes { try body(validity, $0, text) }
                }
            }
        }
    }

    /// Calls `body` with pointers to the column's buffers.
    func withBuffers<R>(_ body: (ColumnBuffers) throws -> R) rethrows -> R {
        try withStorage { validity, values, text in
            try body(ColumnBuffers(validity: ColumnBuffers.pointer(validity).assumingMemoryBound(to: UInt64.self),
                               values: ColumnBuffers.pointer(values),
                               bytes: ColumnBuffers.pointer(text).assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// A column of `rows.count` values: value `rows[i]` of this column, or
    /// null where `rows[i]` is negative (a miss, see ``PartAnswer``).
    ///
    /// - Complexity: O(`rows.count` + the bytes copied).
    func gathering(_ rows: [Int32]) -> Column {
        withBuffers { Column.gather(type: type, from: GatherSources($0), rows: rows) }
    }

    /// A column of type `type` with `rows.count` values gathered from
    /// `sources` (one, or several with rows numbered across them, see
    /// ``GatherSources``). A negative row is a miss: null.
    ///
    /// The gather runs one buffer at a time, with the type switch outside
    /// the loops: the validity bits a 64-bit word at a time, fixed-width
    /// values by index, text in two passes (the offsets, then one copy per
    /// value into a buffer of the final size). A null (or missed) value
    /// takes its slot as 0, 0.0, false, empty or zeros, as appended nulls do.
    ///
    /// - Complexity: O(`rows.count` + the bytes copied).
    static func gather(type: FeatureType, from sources: GatherSources, rows: [Int32]) -> Column {
        var out = Column(type: type)
        rows.withUnsafeBufferPointer { rows in
            out.validity = Bitmap.gather(sources, rows)
            switch type {
            case .int64, .timestamp: out.ints = gatherValues(sources, rows, missing: Int64(0))
            case .float64: out.doubles = gatherValues(sources, rows, missing: Double(0))
            case .bool: out.bools = gatherValues(sources, rows, missing: false)
            case .string, .bytes: (out.offsets, out.bytes) = gatherText(sources, rows)
            case .vector(let n): out.floats = gatherVectors(sources, rows, dimension: n)
            }
        }
        return out
    }

    /// The value at each row, or `missing` for a miss, prefetching the
    /// value of the row ``Prefetch/distance`` ahead.
    @inline(__always)
    private static func gatherValues<T>(_ sources: GatherSources, _ rows: UnsafeBufferPointer<Int32>, missing: T) -> [T] {
        let a = sources.first.values.assumingMemoryBound(to: T.self), split = sources.split
        func later(_ row: Int) -> UnsafePointer<T> {
            let (source, at) = sources.locate(row)
            return source.values.assumingMemoryBound(to: T.self) + at
        }
        return [T](unsafeUninitializedCapacity: rows.count) { out, initialized in
            for i in rows.indices {
                if i + Prefetch.distance < rows.count {
                    let ahead = Int(rows[i + Prefetch.distance])
                    if ahead >= 0 { Prefetch.read(ahead < split ? a + ahead : later(ahead)) }
                }
                let row = Int(rows[i])
                out.initializeElement(at: i, to: row < 0 ? missing : row < split ? a[row] : later(row).pointee)
            }
            initialized = rows.count
        }
    }

    /// The offsets and bytes of the `string` or `bytes` values at `rows`:
    /// one pass over the sources' offsets (prefetched ahead) that keeps
    /// each value's start, then one that copies the bytes (prefetched
    /// ahead; values of up to 16 bytes, the usual categories, copied
    /// without a call).
    private static func gatherText(_ sources: GatherSources, _ rows: UnsafeBufferPointer<Int32>) -> ([Int], [UInt8]) {
        var total = 0
        var starts = [UnsafePointer<UInt8>?](repeating: nil, count: rows.count)
        let gatheredOffsets = [Int](unsafeUninitializedCapacity: rows.count + 1) { out, initialized in
            out[0] = 0
            for i in rows.indices {
                if i + Prefetch.distance < rows.count, rows[i + Prefetch.distance] >= 0 {
                    let (source, at) = sources.locate(Int(rows[i + Prefetch.distance]))
                    Prefetch.read(source.values.assumingMemoryBound(to: Int.self) + at)
                }
                let row = Int(rows[i])
                if row >= 0 {
                    let (source, at) = sources.locate(row)
                    let offsets = source.values.assumingMemoryBound(to: Int.self)
                    starts[i] = source.bytes + offsets[at]
                    total += offsets[at + 1] - offsets[at]
                }
                out[i + 1] = total
            }
            initialized = rows.count + 1
        }
        let gatheredBytes = [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            initialized = total
            guard let target = out.baseAddress else { return }
            for i in rows.indices {
                if i + Prefetch.distance < rows.count, let ahead = starts[i + Prefetch.distance] { Prefetch.read(ahead) }
                guard let start = starts[i] else { continue }
                let at = gatheredOffsets[i], count = gatheredOffsets[i + 1] - at
                if count <= 16 {
                    for k in 0..<count { (target + at + k).initialize(to: start[k]) }
                } else {
                    (target + at).initialize(from: start, count: count)
                }
            }
        }
        return (gatheredOffsets, gatheredBytes)
    }

    /// The elements of the `vector` values (of `dimension` elements) at `rows`.
    private static func gatherVectors(_ sources: GatherSources, _ rows: UnsafeBufferPointer<Int32>, dimension: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: rows.count * dimension) { out, initialized in
            for i in rows.indices {
                let row = Int(rows[i])
                if row < 0 {
                    for e in 0..<dimension { out.initializeElement(at: i * dimension + e, to: 0) }
                    continue
                }
                let (source, at) = sources.locate(row)
                let floats = source.values.assumingMemoryBound(to: Float.self)
                for e in 0..<dimension { out.initializeElement(at: i * dimension + e, to: floats[at * dimension + e]) }
            }
            initialized = rows.count * dimension
        }
    }
}

extension Bitmap {
    /// A bitmap of `rows.count` bits: the validity bit of each row in its
    /// source (see ``Column/gather(type:from:rows:)``), or clear
    /// where the row is negative. Each output word is built in a register
    /// from 64 lookups, without a branch per bit for a single source; the
    /// word of the row ``Prefetch/distance`` ahead is prefetched.
    ///
    /// - Complexity: O(`rows.count`).
    fileprivate static func gather(_ sources: GatherSources, _ rows: UnsafeBufferPointer<Int32>) -> Bitmap {
        let count = rows.count
        var gathered = Bitmap()
        gathered.words = [UInt64](unsafeUninitializedCapacity: (count + 63) / 64) { out, initialized in
            var start = 0
            while start < count {
                let end = Swift.min(start + 64, count)
                var word: UInt64 = 0
                for i in start..<end {
                    if i + Prefetch.distance < count, rows[i + Prefetch.distance] >= 0 {
                        let (source, local) = sources.locate(Int(rows[i + Prefetch.distance]))
                        Prefetch.read(source.validity + (local >> 6))
                    }
                    let row = Int(rows[i])
                    let hit = UInt64(truncatingIfNeeded: ~row >> 63) // all ones when row >= 0, else 0
                    let at = row & ~(row >> 63) // row, or 0 for a miss
                    let (source, local) = sources.locate(at)
                    word |= ((source.validity[local >> 6] >> UInt64(local & 63)) & hit & 1) &<< UInt64(i - start)
                }
                out[start >> 6] = word
                start = end
            }
            initialized = (count + 63) / 64
        }
        gathered._count = count
        return gathered
    }
}
