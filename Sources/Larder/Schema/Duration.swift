/// Durations as written in definitions and on the command line:
/// `90s`, `15m`, `12h`, `7d`, or `0` for "no TTL". Stored as microseconds.
public enum DurationText {
    /// Microseconds for `text`, or `nil` when it is not a duration.
    public static func parse(_ text: String) -> Int64? {
        if text == "0" { return 0 }
        guard let unit = text.last, text.count >= 2 else { return nil }
        let digits = text.dropLast()
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits) else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3_600
        case "d": seconds = 86_400
        default: return nil
        }
        let (product, overflow) = n.multipliedReportingOverflow(by: seconds * 1_000_000)
        return overflow ? nil : product
    }

    /// The shortest spelling of `microseconds` in the largest whole unit
    /// (`7d`, `90m`, `0`).
    public static func format(_ microseconds: Int64) -> String {
        if microseconds == 0 { return "0" }
        let seconds = microseconds / 1_000_000
        if seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds % 3_600 == 0 { return "\(seconds / 3_600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
