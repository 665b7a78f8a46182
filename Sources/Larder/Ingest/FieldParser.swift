#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses typed values from the bytes of one input field, without making a
/// `String`. Each function returns `nil` (or a reason) when the bytes are not
/// a value of the type.
enum FieldParser {
    /// A strict decimal int64: optional sign, digits, nothing else.
    @inline(__always)
    static func int64(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        guard n > 0 else { return nil }
        var i = 0
        var negative = false
        if b[0] == 0x2D || b[0] == 0x2B {
            negative = b[0] == 0x2D
            i = 1
            guard n > 1 else { return nil }
        }
        guard n - i < 19 else { return longInt64(b, from: i, negative: negative) }
        var value: Int64 = 0
        while i < n {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            value = value &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -value : value
    }

    /// The slow path for 19 or more digits: checked arithmetic.
    private static func longInt64(_ b: UnsafeRawBufferPointer, from start: Int, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for i in start..<b.count {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            value = s
        }
        return value
    }

    private static let powersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { x, _ in x * 10 } }

#if arch(x86_64) && !os(Windows)
    /// 10^0 … 10^27 as Float80, each exact (5^27 < 2^63).
    private static let powersOfTen80: [Float80] = (0...27).map { e in (0..<e).reduce(Float80(1)) { x, _ in x * 10 } }

    /// `mantissa / 10^fractionDigits` correctly rounded to a Double, through
    /// one Float80 division, or nil when that cannot be sure (then the slow
    /// path decides). The quotient is within half a Float80 ulp of the exact
    /// value, so rounding it to a Double gives the exact value's rounding
    /// unless a Double rounding midpoint lies between the two; midpoints are
    /// Float80 values, so that can only happen when the quotient is one
    /// (its 11 bits below a Double's precision are exactly 100…0).
    private static func extendedDouble(mantissa: UInt64, fractionDigits: Int) -> Double? {
        guard fractionDigits < powersOfTen80.count else { return nil }
        let quotient = Float80(mantissa) / powersOfTen80[fractionDigits]
        guard quotient.significandBitPattern & 0x7FF != 0x400 else { return nil }
        return Double(quotient)
    }
#endif

    /// A float64 in decimal notation (`-1.5`, `2e-3`, `.5`), or `NaN`, `nan`,
    /// `inf`, `-inf`, `Infinity`, `-Infinity`. Hex floats and other strtod
    /// spellings are refused.
    @inline(__always)
    static func double(_ b: UnsafeRawBufferPointer) -> Double? {
        let n = b.count
        guard n > 0, n < 400 else { return nil }
        // Fast path (Clinger): a mantissa of at most 2^53 and a power of ten up to 10^22 are
        // exact doubles, so their IEEE quotient is the correctly rounded value.
        var i = 0
        var negative = false
        if b[0] == 0x2D || b[0] == 0x2B { negative = b[0] == 0x2D; i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var sawDot = false
        var simple = true
        while i < n {
            let c = b[i]
            let d = c &- 48
            if d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                if sawDot { fractionDigits += 1 }
            } else if c == 0x2E, !sawDot {
                sawDot = true
            } else {
                simple = false
                break
            }
            i += 1
        }
        if simple, digits > 0, digits <= 19, mantissa <= 1 << 53, fractionDigits <= 22 {
            let value = Double(mantissa) / powersOfTen[fractionDigits]
            return negative ? -value : value
        }
#if arch(x86_64) && !os(Windows)
        // Up to 19 digits (17 for a float64 printed shortest): exact in a Float80.
        if simple, digits > 0, digits <= 19, let value = extendedDouble(mantissa: mantissa, fractionDigits: fractionDigits) {
            return negative ? -value : value
        }
#endif
        return slowDouble(b)
    }

    private static func slowDouble(_ b: UnsafeRawBufferPointer) -> Double? {
        var sawDigit = false
        for c in b {
            switch c {
            case 0x30...0x39: sawDigit = true
            case 0x2B, 0x2D, 0x2E, 0x45, 0x65: continue
            default:
                return special(b)
            }
        }
        guard sawDigit else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: b.count + 1) { buffer -> Double? in
            for (k, c) in b.enumerated() { buffer[k] = CChar(bitPattern: c) }
            buffer[b.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end - buffer.baseAddress! == b.count else { return nil }
            return value
        }
    }

    private static func special(_ b: UnsafeRawBufferPointer) -> Double? {
        switch String(decoding: b, as: UTF8.self) {
        case "NaN", "nan", "NAN": return .nan
        case "inf", "Inf", "INF", "Infinity", "+inf", "+Infinity": return .infinity
        case "-inf", "-Inf", "-INF", "-Infinity": return -.infinity
        default: return nil
        }
    }

    /// A timestamp field: RFC 3339 text, or an integer epoch when
    /// `options.timeUnit` is set (`options.assumeUTC` admits text without an
    /// offset).
    static func timestamp(_ bytes: UnsafeRawBufferPointer, kind: FieldKind, options: IngestOptions) -> Result<Int64, TimestampFailure> {
        switch kind {
        case .null, .missing:
            return .failure(TimestampFailure(reason: "timestamp is empty"))
        case .text, .number:
            if let unit = options.timeUnit, let n = int64(bytes) {
                let (v, overflow) = n.multipliedReportingOverflow(by: unit.microseconds)
                guard !overflow, Timestamp.supported.contains(v) else {
                    return .failure(TimestampFailure(reason: "epoch is outside years 0001–9999 (UTC)"))
                }
                return .success(v)
            }
            if kind == .number || int64(bytes) != nil {
                return .failure(TimestampFailure(reason: options.timeUnit == nil
                    ? "an integer epoch needs --time-unit s|ms|us"
                    : "not an integer epoch"))
            }
            switch Timestamp.parse(bytes, assumeUTC: options.assumeUTC) {
            case .success(let t): return .success(t)
            case .failure(let error): return .failure(TimestampFailure(reason: error.description))
            }
        default:
            return .failure(TimestampFailure(reason: "expected a timestamp, found a JSON \(kind)"))
        }
    }

    /// Whether `b` is one of the words JSON Lines uses for non-finite floats:
    /// `NaN`, `Infinity`, `-Infinity`.
    static func isNonFiniteWord(_ b: UnsafeRawBufferPointer) -> Bool {
        b.elementsEqual("NaN".utf8) || b.elementsEqual("Infinity".utf8) || b.elementsEqual("-Infinity".utf8)
    }

    /// `true`/`false` (any case) or `1`/`0`.
    static func bool(_ b: UnsafeRawBufferPointer) -> Bool? {
        switch b.count {
        case 1:
            if b[0] == 0x31 { return true }
            if b[0] == 0x30 { return false }
            return nil
        case 4:
            return b[0] | 0x20 == 0x74 && b[1] | 0x20 == 0x72 && b[2] | 0x20 == 0x75 && b[3] | 0x20 == 0x65 ? true : nil
        case 5:
            return b[0] | 0x20 == 0x66 && b[1] | 0x20 == 0x61 && b[2] | 0x20 == 0x6C && b[3] | 0x20 == 0x73 && b[4] | 0x20 == 0x65 ? false : nil
        default:
            return nil
        }
    }

    /// Standard base64 (with or without `=` padding) decoded into `out`;
    /// false when the bytes are not base64.
    static func base64(_ b: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        var accumulator: UInt32 = 0
        var bits = 0
        var padding = 0
        for c in b {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2B: v = 62
            case 0x2F: v = 63
            case 0x3D: padding += 1; continue
            default: return false
            }
            guard padding == 0 else { return false }
            accumulator = accumulator << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return padding <= 2 && (b.count % 4 == 0 || padding == 0)
    }

    /// A vector written as `[1, 2.5, -3]` into `out`; returns the number of
    /// elements, or nil when the text is not a flat list of numbers. An
    /// element may also be a non-finite word, bare (`NaN`, `inf`: CSV) or
    /// quoted as JSON output writes it (`"NaN"`, `"Infinity"`, `"-Infinity"`).
    static func vector(_ b: UnsafeRawBufferPointer, into out: inout [Float]) -> Int? {
        var i = 0
        let n = b.count
        func skipSpace() { while i < n, b[i] == 0x20 || b[i] == 0x09 { i += 1 } }
        skipSpace()
        guard i < n, b[i] == 0x5B else { return nil }
        i += 1
        var count = 0
        skipSpace()
        if i < n, b[i] == 0x5D { i += 1; skipSpace(); return i == n ? 0 : nil }
        while i < n {
            skipSpace()
            let start = i
            while i < n, b[i] != 0x2C, b[i] != 0x5D, b[i] != 0x20 { i += 1 }
            var element = UnsafeRawBufferPointer(rebasing: b[start..<i])
            // A non-finite element as JSON output spells it: "NaN", "Infinity", "-Infinity".
            if element.count > 2, element.first == 0x22, element.last == 0x22 {
                element = UnsafeRawBufferPointer(rebasing: element.dropFirst().dropLast())
                guard isNonFiniteWord(element) else { return nil }
            }
            guard let value = double(element) else { return nil }
            out.append(Float(value))
            count += 1
            skipSpace()
            guard i < n else { return nil }
            if b[i] == 0x5D {
                i += 1
                skipSpace()
                return i == n ? count : nil
            }
            guard b[i] == 0x2C else { return nil }
            i += 1
        }
        return nil
    }
}
