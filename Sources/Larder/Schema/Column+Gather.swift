extension Column {
    /// A column of `rows.count` values: value `rows[i]` of this column, or
    /// null where `rows[i]` is negative (a miss, see ``PartAnswer``).
    ///
    /// The gather runs one buffer at a time, with the type switch outside
    /// the loops: the validity bits a 64-bit word at a time, fixed-width
    /// values by index, text in two passes (the offsets, then one copy per
    /// value into a buffer of the final size). A null (or missed) value
    /// takes its slot as 0, 0.0, false, empty or zeros, as appended nulls do.
    ///
    /// - Complexity: O(`rows.count` + the bytes copied).
    func gathering(_ rows: [Int32]) -> Column {
        var out = Column(type: type)
        rows.withUnsafeBufferPointer { rows in
            out.validity = validity.gathering(rows)
            switch type {
            case .int64, .timestamp: out.ints = Column.gather(ints, rows, missing: 0)
            case .float64: out.doubles = Column.gather(doubles, rows, missing: 0)
            case .bool: out.bools = Column.gather(bools, rows, missing: false)
            case .string, .bytes: (out.offsets, out.bytes) = gatherText(rows)
            case .vector(let n): out.floats = gatherVectors(rows, dimension: n)
            }
        }
        return out
    }

    /// `values[rows[i]]` for each `i`, or `missing` where `rows[i]` is negative.
    @inline(__always)
    private static func gather<T>(_ values: [T], _ rows: UnsafeBufferPointer<Int32>, missing: T) -> [T] {
        values.withUnsafeBufferPointer { values in
            [T](unsafeUninitializedCapacity: rows.count) { out, initialized in
                for i in rows.indices {
                    let row = Int(rows[i])
                    out.initializeElement(at: i, to: row >= 0 ? values[row] : missing)
                }
                initialized = rows.count
            }
        }
    }

    /// The offsets and bytes of the `string` or `bytes` values at `rows`.
    private func gatherText(_ rows: UnsafeBufferPointer<Int32>) -> ([Int], [UInt8]) {
        offsets.withUnsafeBufferPointer { starts in
            var total = 0
            let gatheredOffsets = [Int](unsafeUninitializedCapacity: rows.count + 1) { out, initialized in
                out[0] = 0
                for i in rows.indices {
                    let row = Int(rows[i])
                    if row >= 0 { total += starts[row + 1] - starts[row] }
                    out[i + 1] = total
                }
                initialized = rows.count + 1
            }
            let gatheredBytes = bytes.withUnsafeBytes { source in
                [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
                    let target = UnsafeMutableRawBufferPointer(out)
                    for i in rows.indices where rows[i] >= 0 {
                        let row = Int(rows[i]), start = starts[row], count = starts[row + 1] - start
                        guard count > 0 else { continue }
                        (target.baseAddress! + gatheredOffsets[i]).copyMemory(from: source.baseAddress! + start, byteCount: count)
                    }
                    initialized = total
                }
            }
            return (gatheredOffsets, gatheredBytes)
        }
    }

    /// The elements of the `vector` values (of `dimension` elements) at `rows`.
    private func gatherVectors(_ rows: UnsafeBufferPointer<Int32>, dimension: Int) -> [Float] {
        floats.withUnsafeBufferPointer { source in
            [Float](unsafeUninitializedCapacity: rows.count * dimension) { out, initialized in
                for i in rows.indices {
                    let row = Int(rows[i])
                    for e in 0..<dimension {
                        out.initializeElement(at: i * dimension + e, to: row >= 0 ? source[row * dimension + e] : 0)
                    }
                }
                initialized = rows.count * dimension
            }
        }
    }
}

extension Bitmap {
    /// A bitmap of `rows.count` bits: bit `rows[i]` of this bitmap, or clear
    /// where `rows[i]` is negative (every bit is clear when this bitmap is
    /// empty, as a column with no rows is). Each output word is built in a
    /// register from 64 lookups, without a branch per bit.
    ///
    /// - Complexity: O(`rows.count`).
    func gathering(_ rows: UnsafeBufferPointer<Int32>) -> Bitmap {
        let count = rows.count
        guard !words.isEmpty else { return Bitmap(repeating: false, count: count) }
        var gathered = Bitmap()
        gathered.words = words.withUnsafeBufferPointer { source in
            [UInt64](unsafeUninitializedCapacity: (count + 63) / 64) { out, initialized in
                var start = 0
                while start < count {
                    let end = Swift.min(start + 64, count)
                    var word: UInt64 = 0
                    for i in start..<end {
                        let row = Int(rows[i])
                        let hit = UInt64(truncatingIfNeeded: ~row >> 63) // all ones when row >= 0, else 0
                        let at = row & ~(row >> 63) // row, or 0 for a miss
                        word |= ((source[at >> 6] >> UInt64(at & 63)) & hit & 1) &<< UInt64(i - start)
                    }
                    out[start >> 6] = word
                    start = end
                }
                initialized = (count + 63) / 64
            }
        }
        gathered._count = count
        return gathered
    }
}
