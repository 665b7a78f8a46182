/// A fast 64-bit checksum of bytes (not cryptographic): four independent
/// lanes of multiply–xor over 8-byte words, so that it runs at memory speed;
/// it catches torn, truncated and bit-flipped data, which is all the cache's
/// snapshot files need (they are derived data, rebuilt from the store).
package enum Checksum64 {
    /// The checksum of `bytes`.
    ///
    /// - Complexity: O(n), about one cycle per 8 bytes.
    package static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let prime: UInt64 = 0x9E37_79B9_7F4A_7C15
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344, 0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89)
        let count = bytes.count
        var i = 0
        if let base = bytes.baseAddress {
            while i + 32 <= count {
                lanes.0 = (lanes.0 ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* prime
                lanes.1 = (lanes.1 ^ base.loadUnaligned(fromByteOffset: i + 8, as: UInt64.self)) &* prime
                lanes.2 = (lanes.2 ^ base.loadUnaligned(fromByteOffset: i + 16, as: UInt64.self)) &* prime
                lanes.3 = (lanes.3 ^ base.loadUnaligned(fromByteOffset: i + 24, as: UInt64.self)) &* prime
                lanes.0 ^= lanes.0 &>> 31
                lanes.1 ^= lanes.1 &>> 31
                lanes.2 ^= lanes.2 &>> 31
                lanes.3 ^= lanes.3 &>> 31
                i += 32
            }
        }
        var h = UInt64(count) &* prime
        for lane in [lanes.0, lanes.1, lanes.2, lanes.3] { h = mix(h ^ lane) }
        while i < count {
            h = mix(h ^ UInt64(bytes[i]))
            i += 1
        }
        return h
    }

    /// Scrambles all bits of `x` into all bits of the result.
    @inline(__always) private static func mix(_ x: UInt64) -> UInt64 {
        var x = x &* 0xBF58_476D_1CE4_E5B9
        x ^= x &>> 27
        x = x &* 0x94D0_49BB_1331_11EB
        return x ^ (x &>> 31)
    }
}
