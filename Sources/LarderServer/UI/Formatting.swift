import Foundation
import Larder

/// How the UI writes numbers, shares, times and ages.
enum Formatting {
    /// A number with up to 4 significant digits (integers whole, with thousands separators).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "−∞") }
        if value == value.rounded(), abs(value) < 1e15 { return count(Int64(value)) }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-3 { return String(format: "%.3g", value) }
        return String(format: "%.4g", value)
    }

    /// An integer with thousands separators: `1,000,000`.
    static func count(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "−" + out : out
    }

    /// A share as a percentage: `12.5%`.
    static func percent(_ share: Double) -> String { String(format: "%.1f%%", share * 100) }

    /// A figure with 3 decimals, or `–` when absent.
    static func figure(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "–" }

    /// A time in UTC to the second: `2026-12-03T07:00:00Z`.
    static func time(_ time: Timestamp) -> String {
        let text = time.description
        guard let dot = text.firstIndex(of: ".") else { return text }
        return String(text[..<dot]) + "Z"
    }

    /// How long ago `time` was, from `now`: `3 h 12 min ago`.
    static func age(_ time: Timestamp, now: Timestamp) -> String {
        let seconds = (now.microseconds - time.microseconds) / 1_000_000
        if seconds < 0 { return "in the future" }
        if seconds < 60 { return "\(seconds) s ago" }
        if seconds < 3600 { return "\(seconds / 60) min ago" }
        if seconds < 86_400 { return "\(seconds / 3600) h \(seconds % 3600 / 60) min ago" }
        return "\(seconds / 86_400) d \(seconds % 86_400 / 3600) h ago"
    }

}
