extension Column {
    /// Appends every row of `other`, a column of the same type, one buffer
    /// at a time (string offsets shifted by the bytes already held).
    ///
    /// - Complexity: O(`other.count` + its bytes).
    mutating func append(contentsOf other: Column) {
        precondition(other.type == type, "appending a \(other.type) column to a \(type) column")
        validity.append(contentsOf: other.validity)
        switch type {
        case .int64, .timestamp: ints.append(contentsOf: other.ints)
        case .float64: doubles.append(contentsOf: other.doubles)
        case .bool: bools.append(contentsOf: other.bools)
        case .string, .bytes:
            let shift = bytes.count
            offsets.append(contentsOf: other.offsets.dropFirst().lazy.map { $0 + shift })
            bytes.append(contentsOf: other.bytes)
        case .vector: floats.append(contentsOf: other.floats)
        }
    }
}

extension Bitmap {
    /// Appends every bit of `other`, a 64-bit word at a time.
    ///
    /// - Complexity: O(`other.count` / 64).
    mutating func append(contentsOf other: Bitmap) {
        let shift = UInt64(_count & 63)
        let total = _count + other._count
        if shift == 0 {
            words.append(contentsOf: other.words)
        } else {
            for word in other.words {
                words[words.count - 1] |= word << shift
                words.append(word >> (64 - shift))
            }
        }
        words.removeLast(words.count - (total + 63) / 64)
        _count = total
    }
}
