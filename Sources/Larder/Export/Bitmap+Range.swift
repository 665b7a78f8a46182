extension Bitmap {
    /// Calls `body` with the bits of `range`, 64 at a time, shifted so that
    /// bit `range.lowerBound` is bit 0 of the first word; bits past the end of
    /// the range are clear. This is the Arrow validity bitmap of a slice.
    ///
    /// - Complexity: O(range.count / 64).
    func forEachWord<E: Error>(in range: Range<Int>, _ body: (UInt64) throws(E) -> Void) throws(E) {
        var bit = range.lowerBound
        while bit < range.upperBound {
            let index = bit >> 6
            let shift = bit & 63
            var word = words[index] >> UInt64(shift)
            if shift != 0, index + 1 < words.count { word |= words[index + 1] << UInt64(64 - shift) }
            let remaining = range.upperBound - bit
            if remaining < 64 { word &= (1 << UInt64(remaining)) - 1 }
            try body(word)
            bit += 64
        }
    }

    /// The number of clear bits (nulls) in `range`.
    ///
    /// - Complexity: O(range.count / 64).
    func clearCount(in range: Range<Int>) -> Int {
        var set = 0
        forEachWord(in: range) { set += $0.nonzeroBitCount }
        return range.count - set
    }
}
