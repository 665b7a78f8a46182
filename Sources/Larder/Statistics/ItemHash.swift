/// The 64-bit hash that the distinct-count and frequent-items sketches
/// identify values by: multiply–xor over 8-byte words, the length mixed in,
/// and MurmurHash3's 64-bit finalizer so every input bit reaches every
/// output bit (HyperLogLog needs uniform high bits). Not cryptographic.
package enum ItemHash {
    /// The hash of `bytes`.
    ///
    /// - Complexity: O(n).
    @inline(__always)
    package static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        var i = 0
        let n = bytes.count
        if let base = bytes.baseAddress {
            while i + 8 <= n {
                h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x87C3_7B91_1142_53D5
                h ^= h &>> 29
                i += 8
            }
            var tail: UInt64 = 0, shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x4CF5_AD43_2745_937F
        }
        return finalize(h)
    }

    /// The hash of an integer.
    @inline(__always)
    package static func of(_ value: Int64) -> UInt64 { finalize(UInt64(bitPattern: value) &* 0x9E37_79B9_7F4A_7C15) }

    /// MurmurHash3's fmix64.
    @inline(__always)
    private static func finalize(_ x: UInt64) -> UInt64 {
        var x = x
        x ^= x &>> 33
        x = x &* 0xFF51_AFD7_ED55_8CCD
        x ^= x &>> 33
        x = x &* 0xC4CE_B9FE_1A85_EC53
        return x ^ (x &>> 33)
    }
}
