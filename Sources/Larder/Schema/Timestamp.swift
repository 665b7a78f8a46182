#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import struct Foundation.Date

/// A point in time: microseconds since the Unix epoch, UTC (semantics §1).
///
/// Parsing reads RFC 3339 straight from bytes (`2026-11-26T10:00:00Z`,
/// `2026-11-26 10:00:00.123+01:00`); formatting writes
/// `2026-11-26T10:00:00.000000Z`. Every stored time lies in ``supported``
/// (years 0001–9999), so that it prints with a four-digit year and reads
/// back as the same time. An integer literal is a number of microseconds.
///
/// ```swift
/// let t = try Timestamp(parsing: "2026-11-26T10:00:00Z")
/// let d = Timestamp(Date())                    // from Foundation
/// print(t, t.microseconds, Timestamp.now > t)
/// ```
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// The time `microseconds` µs after the Unix epoch.
    public init(microseconds: Int64) {
        self.microseconds = microseconds
    }

    /// The time `value` µs after the Unix epoch.
    public init(integerLiteral value: Int64) {
        microseconds = value
    }

    /// The time of `date`, to the microsecond.
    public init(_ date: Date) {
        microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Parses RFC 3339 text (`2026-11-26T10:00:00Z`); without an offset the
    /// text is refused unless `assumeUTC`.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` quoting the text and
    ///   saying what is wrong with it.
    public init(parsing text: String, assumeUTC: Bool = false) throws(LarderError) {
        switch Timestamp.parse(text, assumeUTC: assumeUTC) {
        case .success(let micros): microseconds = micros
        case .failure(let error): throw .invalidInput("\"\(text)\": \(error)")
        }
    }

    /// The current time.
    public static var now: Timestamp { Timestamp(microseconds: nowMicroseconds()) }

    /// The same time as a Foundation `Date`.
    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    /// `2026-11-26T10:00:00.000000Z`.
    public var description: String { Timestamp.format(microseconds) }

    /// Whether `a` is earlier than `b`.
    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// The times Larder stores: 0001-01-01T00:00:00Z through
    /// 9999-12-31T23:59:59.999999Z, in µs since the epoch.
    public static let supported: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999

    /// Why a timestamp could not be parsed.
    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The text is not RFC 3339.
        case malformed
        /// The text is a valid local time but has no `Z` or `±HH:MM` offset.
        case missingOffset
        /// A field is out of range (month 13, 25 o'clock, Feb 30 …).
        case outOfRange
        /// More than microsecond precision with non-zero digits.
        case tooPrecise
        /// A valid time outside years 0001–9999 in UTC (``supported``).
        case unsupportedYear

        /// The text a user reads for this value.
        public var description: String {
            switch self {
            case .malformed: "not an RFC 3339 timestamp (expected e.g. 2026-11-26T10:00:00Z)"
            case .missingOffset: "timestamp has no UTC offset (add Z or ±HH:MM, or pass --assume-utc; assume_utc=true over HTTP and in Python)"
            case .outOfRange: "timestamp has a field out of range"
            case .tooPrecise: "timestamp has sub-microsecond digits (Larder stores microseconds)"
            case .unsupportedYear: "timestamp is outside years 0001–9999 (UTC)"
            }
        }
    }

    /// Parses RFC 3339 text. Without an offset the text is an error unless
    /// `assumeUTC` is true.
    package static func parse(_ text: String, assumeUTC: Bool = false) -> Result<Int64, ParseError> {
        var text = text
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0), assumeUTC: assumeUTC) }
    }

    /// Parses RFC 3339 bytes. Without an offset the bytes are an error unless
    /// `assumeUTC` is true.
    ///
    /// - Complexity: O(n) in the length of the text, no allocation.
    package static func parse(_ b: UnsafeRawBufferPointer, assumeUTC: Bool) -> Result<Int64, ParseError> {
        let n = b.count
        guard n >= 19 else { return .failure(.malformed) }
        @inline(__always) func digit(_ i: Int) -> Int? {
            let c = b[i] &- 48
            return c < 10 ? Int(c) : nil
        }
        @inline(__always) func number(_ i: Int, _ count: Int) -> Int? {
            var v = 0
            for k in i..<(i + count) {
                guard let d = digit(k) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard let year = number(0, 4), b[4] == 0x2D, let month = number(5, 2), b[7] == 0x2D,
              let day = number(8, 2), b[10] == 0x54 || b[10] == 0x20 || b[10] == 0x74,
              let hour = number(11, 2), b[13] == 0x3A, let minute = number(14, 2), b[16] == 0x3A,
              let second = number(17, 2)
        else { return .failure(.malformed) }
        var i = 19
        var micros = 0
        if i < n, b[i] == 0x2E {
            i += 1
            let start = i
            var digits = 0
            while i < n, let d = digit(i) {
                if digits < 6 {
                    micros = micros * 10 + d
                } else if d != 0 {
                    return .failure(.tooPrecise)
                }
                digits += 1
                i += 1
            }
            guard i > start else { return .failure(.malformed) }
            for _ in min(digits, 6)..<6 { micros *= 10 }
        }
        var offsetSeconds = 0
        if i == n {
            guard assumeUTC else { return .failure(.missingOffset) }
        } else if b[i] == 0x5A || b[i] == 0x7A { // Z or z
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D { // + or -
            guard n - i >= 6, let oh = number(i + 1, 2), b[i + 3] == 0x3A, let om = number(i + 4, 2) else {
                return .failure(.malformed)
            }
            guard oh < 24, om < 60 else { return .failure(.outOfRange) }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        } else {
            return .failure(.malformed)
        }
        guard i == n else { return .failure(.malformed) }
        guard month >= 1, month <= 12, day >= 1, day <= daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60
        else { return .failure(.outOfRange) }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let time = Int64(seconds) * 1_000_000 + Int64(micros)
        return supported.contains(time) ? .success(time) : .failure(.unsupportedYear)
    }

    /// Appends `2026-11-26T10:00:00.000000Z` for `micros` to `out`.
    package static func write(_ micros: Int64, into out: inout [UInt8]) {
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 { fraction += 1_000_000; seconds -= 1 }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 { secondOfDay += 86_400; days -= 1 }
        let (year, month, day) = civilFromDays(Int(days))
        @inline(__always) func put(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(48 + (v / divisor) % 10))
                v %= divisor
                divisor /= 10
            }
        }
        if year < 0 { out.append(0x2D) }
        put(abs(year), 4); out.append(0x2D); put(month, 2); out.append(0x2D); put(day, 2)
        out.append(0x54)
        put(Int(secondOfDay / 3600), 2); out.append(0x3A)
        put(Int(secondOfDay % 3600 / 60), 2); out.append(0x3A)
        put(Int(secondOfDay % 60), 2); out.append(0x2E)
        put(Int(fraction), 6); out.append(0x5A)
    }

    /// `micros` as `2026-11-26T10:00:00.000000Z`.
    package static func format(_ micros: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(27)
        write(micros, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The current time in microseconds since the epoch.
    package static func nowMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of `days` since 1970-01-01.
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
