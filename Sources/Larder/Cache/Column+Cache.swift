extension Column {
    /// Appends column `index` of `statement`'s current row, read straight
    /// from the engine into this column's buffer (no intermediate value).
    ///
    /// Storage follows the view tables: `int64`, `bool` and `timestamp` are
    /// INTEGER, `float64` REAL, `string` TEXT, `bytes` BLOB and
    /// `vector<float32, N>` a BLOB of N little-endian Float32. A NaN
    /// `float64` is stored as the text `'NaN'` (which SQLite reads as 0.0),
    /// and read back as NaN. A vector blob of the wrong length is read as null.
    package mutating func append(from statement: some RowCursor, at index: Int32) {
        if statement.isNull(index) {
            appendNull()
            return
        }
        switch type {
        case .int64, .timestamp: append(statement.int64(index))
        case .float64:
            let value = statement.double(index)
            if value == 0, statement.withBytes(index, { $0.first == UInt8(ascii: "N") }) {
                append(Double.nan)
            } else {
                append(value)
            }
        case .bool: append(statement.int64(index) != 0)
        case .string, .bytes: statement.withBytes(index) { append(bytes: $0) }
        case .vector(let dimension):
            statement.withBytes(index) { blob in
                guard blob.count == dimension * 4 else {
                    appendNull()
                    return
                }
                validity.append(true)
                for i in 0..<dimension {
                    floats.append(Float(bitPattern: UInt32(littleEndian: blob.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))))
                }
            }
        }
    }

    /// Appends rows `rows` of `other`, a stored column of the same type,
    /// copying each buffer's slice in one go.
    ///
    /// - Complexity: O(`rows.count` + the bytes copied).
    mutating func append(contentsOf other: StoredColumn, rows: Range<Int>) {
        guard !rows.isEmpty else { return }
        validity.append(words: other.buffers.validity, range: rows)
        let values = other.buffers.values
        switch type {
        case .int64, .timestamp: ints.append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Int64.self) + rows.lowerBound, count: rows.count))
        case .float64: doubles.append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Double.self) + rows.lowerBound, count: rows.count))
        case .bool: bools.append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Bool.self) + rows.lowerBound, count: rows.count))
        case .string, .bytes:
            let start = other.offset(rows.lowerBound), end = other.offset(rows.upperBound)
            let shift = bytes.count - start
            bytes.append(contentsOf: UnsafeBufferPointer(start: other.buffers.bytes + start, count: end - start))
            for row in rows { offsets.append(other.offset(row + 1) + shift) }
        case .vector(let n):
            floats.append(contentsOf: UnsafeBufferPointer(start: values.assumingMemoryBound(to: Float.self) + rows.lowerBound * n, count: rows.count * n))
        }
    }

    /// Appends row `row` of `other`, a stored column of the same type.
    mutating func append(from other: StoredColumn, row: Int) {
        append(contentsOf: other, rows: row..<(row + 1))
    }

    /// The approximate memory the column's buffers hold, in bytes.
    var byteCount: Int {
        validity.words.count * 8 + ints.count * 8 + doubles.count * 8 + bools.count
            + offsets.count * 8 + bytes.count + floats.count * 4
    }
}

extension Bitmap {
    /// Appends bits `range` of the bitmap whose words are at `other`, a 64-bit word at a time once this
    /// bitmap's end is word-aligned.
    ///
    /// - Complexity: O(`range.count` / 64) plus up to 126 single bits.
    mutating func append(words other: UnsafePointer<UInt64>, range: Range<Int>) {
        func isSet(_ i: Int) -> Bool { other[i >> 6] & (1 << UInt64(i & 63)) != 0 }
        var bit = range.lowerBound
        while bit < range.upperBound, _count & 63 != 0 {
            append(isSet(bit))
            bit += 1
        }
        words.reserveCapacity(words.count + (range.upperBound - bit + 63) / 64)
        while range.upperBound - bit >= 64 {
            let index = bit >> 6, shift = UInt64(bit & 63)
            var word = other[index] >> shift
            if shift != 0 { word |= other[index + 1] << (64 - shift) }
            words.append(word)
            _count += 64
            bit += 64
        }
        while bit < range.upperBound {
            append(isSet(bit))
            bit += 1
        }
    }
}
