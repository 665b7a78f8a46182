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
