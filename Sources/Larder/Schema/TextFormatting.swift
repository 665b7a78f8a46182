/// Appends the text spellings of values to a byte buffer, for the CSV and
/// JSON Lines writers: no intermediate `String` except where noted.
enum TextFormatting {
    /// Appends the decimal digits of `value`, with a `-` when negative.
    ///
    /// - Complexity: O(digits), no allocation.
    @inline(__always) static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0"))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }

    /// Appends a finite `value` in Swift's shortest round-trip form (`0.1`,
    /// `1.0`, `-0.0`, `1e+16`, `5e-324`): the fewest digits that parse back
    /// to exactly `value`. Callers spell NaN and the infinities themselves.
    ///
    /// This goes through `description`, a `String`. Measured on 100,000
    /// rows × 11 columns, the digit generation itself dominates; writing the
    /// digits straight into the buffer (through `TextOutputStream`'s
    /// underscored `_writeASCII` hook) saved about 3% of a CSV export, too
    /// little to lean on an underscored API.
    /// `Float` values get `Float`'s shortest form (`0.1`, `1.25`, `1e-05`).
    @inline(__always) static func appendFinite<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F, to out: inout [UInt8]) {
        var text = value.description
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    /// Appends the bytes of a literal such as `null` or `NaN`.
    @inline(__always) static func appendASCII(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// The RFC 4648 base64 alphabet.
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Appends `bytes` in standard base64 (RFC 4648 §4: `+` and `/`, padded
    /// with `=`).
    ///
    /// - Complexity: O(n), no allocation beyond the growth of `out`.
    static func appendBase64(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        base64Alphabet.withUnsafeBufferPointer { alphabet in
            var i = 0
            let end = bytes.count
            while end - i >= 3 {
                let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out.append(alphabet[Int(group >> 18)])
                out.append(alphabet[Int(group >> 12 & 63)])
                out.append(alphabet[Int(group >> 6 & 63)])
                out.append(alphabet[Int(group & 63)])
                i += 3
            }
            switch end - i {
            case 1:
                let group = UInt32(bytes[i]) << 16
                out.append(alphabet[Int(group >> 18)])
                out.append(alphabet[Int(group >> 12 & 63)])
                appendASCII("==", to: &out)
            case 2:
                let group = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
                out.append(alphabet[Int(group >> 18)])
                out.append(alphabet[Int(group >> 12 & 63)])
                out.append(alphabet[Int(group >> 6 & 63)])
                out.append(0x3D) // =
            default:
                break
            }
        }
    }
}
