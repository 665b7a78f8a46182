import CLarderSupport
import Testing
@testable import Larder

@Suite struct TimestampTests {
    @Test func parsesRFC3339WithOffsets() {
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == .success(0))
        #expect(Timestamp.parse("2026-11-26T10:00:00Z") == .success(1_795_687_200_000_000))
        #expect(Timestamp.parse("2026-11-26 10:00:00.123+01:00") == .success(1_795_687_200_000_000 - 3_600_000_000 + 123_000))
        #expect(Timestamp.parse("2026-11-26T10:00:00.000001-00:30") == .success(1_795_687_200_000_000 + 1_800_000_000 + 1))
        #expect(Timestamp.parse("1969-12-31T23:59:59.5Z") == .success(-500_000))
        #expect(Timestamp.parse("2024-02-29T00:00:00Z").isSuccess)
    }

    @Test func refusesBadTimestamps() {
        #expect(Timestamp.parse("2026-11-26T10:00:00") == .failure(.missingOffset))
        #expect(Timestamp.parse("2026-11-26T10:00:00", assumeUTC: true) == .success(1_795_687_200_000_000))
        #expect(Timestamp.parse("2026-13-26T10:00:00Z") == .failure(.outOfRange))
        #expect(Timestamp.parse("2023-02-29T00:00:00Z") == .failure(.outOfRange))
        #expect(Timestamp.parse("2026-11-26T24:00:00Z") == .failure(.outOfRange))
        #expect(Timestamp.parse("26-11-26T10:00:00Z") == .failure(.malformed))
        #expect(Timestamp.parse("2026-11-26T10:00:00ZZ") == .failure(.malformed))
        #expect(Timestamp.parse("2026-11-26T10:00:00.Z") == .failure(.malformed))
        #expect(Timestamp.parse("1700000000") == .failure(.malformed))
        #expect(Timestamp.parse("2026-11-26T10:00:00.1234567Z") == .failure(.tooPrecise))
        #expect(Timestamp.parse("2026-11-26T10:00:00.1234560Z") == .success(1_795_687_200_123_456))
    }

    @Test func formatRoundTrips() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<10_000 {
            let micros = Int64(bitPattern: random.next()) % 10_000_000_000_000_000
            let text = Timestamp.format(micros)
            #expect(Timestamp.parse(text) == .success(micros), "\(micros) → \(text)")
        }
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp.format(-1) == "1969-12-31T23:59:59.999999Z")
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

@Suite struct SHA256Tests {
    @Test func knownDigests() {
        #expect(SHA256.hash([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hash(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShot() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31) }
        for split in [0, 1, 63, 64, 65, 500, 999] {
            var h = SHA256()
            h.update(bytes[..<split])
            h.update(bytes[split...])
            #expect(h.finalize() == SHA256.hash(bytes))
        }
    }
}

extension SHA256Tests {
    @Test func hardwareAndPortableCompressionAgree() {
        // clarder_sha256_blocks takes the SHA instructions where the CPU has them.
        let data = (0..<6_400).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var a: [UInt32] = [0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19]
        var b = a
        clarder_sha256_blocks(&a, data, 100)
        clarder_sha256_portable_blocks(&b, data, 100)
        #expect(a == b)
    }
}
