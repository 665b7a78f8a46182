@testable import Larder

/// Timestamps and durations under fuzzing.
///
/// - `Timestamp.parse` of the payload (settings byte 0 bit 0: assume UTC);
///   the `String` overload must agree with the bytes one on valid UTF-8, and
///   a parsed time in years 0001–9999 must format and re-parse to itself;
/// - `FieldParser.timestamp`, with the integer epoch unit of bits 1–2;
/// - `Timestamp.format` of the payload's first 8 bytes as microseconds,
///   which must re-parse to itself in years 0001–9999;
/// - `DurationText.parse` of the payload, whose result must be ≥ 0 and
///   format and re-parse to itself.
public enum TimeFuzz {
    /// The first microsecond of year 0001: 0001-01-01T00:00:00Z.
    static let earliest: Int64 = -62_135_596_800_000_000
    /// The last microsecond of year 9999: 9999-12-31T23:59:59.999999Z.
    static let latest: Int64 = 253_402_300_799_999_999

    /// Parses `data`; traps only when an invariant breaks.
    public static func run(_ data: UnsafeRawBufferPointer) {
        let input = FuzzInput(data, settings: 1)
        let options = FuzzView.options(input, settingsByte: 0)
        let bytes = input.payload
        let parsed = Timestamp.parse(bytes, assumeUTC: options.assumeUTC)
        if bytes.firstInvalidUTF8Offset() == nil {
            let text = String(decoding: bytes, as: UTF8.self)
            invariant(Timestamp.parse(text, assumeUTC: options.assumeUTC) == parsed, "String and bytes parses differ")
        }
        if case .success(let micros) = parsed { checkRoundTrip(micros) }
        _ = FieldParser.timestamp(bytes, kind: .text, options: options)
        _ = FieldParser.timestamp(bytes, kind: .number, options: options)
        if bytes.count >= 8 { checkRoundTrip(bytes.loadUnaligned(as: Int64.self)) }

        let durationText = String(decoding: bytes, as: UTF8.self)
        if let duration = DurationText.parse(durationText) {
            invariant(duration >= 0, "negative duration \(durationText)")
            invariant(DurationText.parse(DurationText.format(duration)) == duration, "duration does not round-trip")
        }
    }

    /// Formats `micros` and, in years 0001–9999, checks that the text parses
    /// back to it. (Times outside those years do not format as RFC 3339.)
    private static func checkRoundTrip(_ micros: Int64) {
        let text = Timestamp.format(micros)
        guard micros >= earliest, micros <= latest else { return }
        invariant(Timestamp.parse(text) == .success(micros), "\(micros) formats as \(text), which does not parse back")
    }
}
