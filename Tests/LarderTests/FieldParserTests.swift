import Foundation
import Testing
@testable import Larder

/// The float64 parser's fast paths agree bit for bit with strtod; a
/// vector's elements.
@Suite struct FieldParserTests {
    /// `text` parsed by ``FieldParser/double(_:)``.
    func parsed(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { FieldParser.double(UnsafeRawBufferPointer($0)) }
    }

    /// `text` parsed by the C library.
    func strtodValue(_ text: String) -> Double {
        strtod(text, nil)
    }

    @Test func shortestPrintedDoublesReadBackExactly() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200_000 {
            let value = Double(bitPattern: generator.next() & 0x3FFF_FFFF_FFFF_FFFF) // positive, below 2^1024
            guard value.isFinite, value > 1e-20, value < 1e20 else { continue }
            let text = value.description.contains("e") ? String(format: "%.17f", value) : value.description
            #expect(parsed(text)?.bitPattern == strtodValue(text).bitPattern, "\(text)")
        }
    }

    @Test func decimalsOfUpToNineteenDigitsMatchStrtod() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200_000 {
            let digits = String(generator.next() % 10_000_000_000_000_000_000)
            let point = Int(generator.next() % UInt64(digits.count + 1))
            let text = (generator.next() % 2 == 0 ? "-" : "") + digits.prefix(point) + "." + digits.dropFirst(point)
            #expect(parsed(text)?.bitPattern == strtodValue(text).bitPattern, "\(text)")
        }
    }

    @Test func roundingMidpointsMatchStrtod() {
        // 2^53 + 1 and neighbours: exact ties between two doubles, scaled by powers of ten.
        for mantissa: UInt64 in [9_007_199_254_740_993, 9_007_199_254_740_995, 18_014_398_509_481_986, 4_503_599_627_370_497] {
            for scale in 0...19 {
                var text = String(mantissa)
                if scale > 0 { text.insert(".", at: text.index(text.endIndex, offsetBy: -min(scale, text.count))) }
                #expect(parsed(text)?.bitPattern == strtodValue(text).bitPattern, "\(text)")
            }
        }
    }

    /// `text` parsed by ``FieldParser/vector(_:into:)``.
    func vector(_ text: String) -> [Float]? {
        var text = text, out: [Float] = []
        let count = text.withUTF8 { FieldParser.vector(UnsafeRawBufferPointer($0), into: &out) }
        return count.map { _ in out }
    }

    /// A vector's element may be a non-finite word, bare (CSV's `NaN`, `inf`)
    /// or quoted as JSON output writes it; nothing else may be quoted.
    @Test func vectorElementsMayBeNonFiniteWordsBareOrQuoted() throws {
        let read = try #require(vector(#"[0.5, "NaN","Infinity", "-Infinity", NaN, inf, -inf]"#))
        #expect(read.count == 7)
        #expect(read[0] == 0.5 && read[1].isNaN && read[2] == .infinity && read[3] == -.infinity)
        #expect(read[4].isNaN && read[5] == .infinity && read[6] == -.infinity)
        for refused in [#"["0.5"]"#, #"["nan"]"#, #"["NaN]"#, #"[""]"#, #"["NaN" ]x"#, #"[NaN, "inf"]"#] {
            #expect(vector(refused) == nil, "\(refused)")
        }
    }
}
