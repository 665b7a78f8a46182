import Foundation
import Testing
@testable import Larder

/// The online answer's JSON (`OnlineResult.writeJSON`, what
/// `POST /v1/online-features` and `larder online` print), written straight
/// from the columns, against an oracle that spells every value from
/// `Column.value(_:)` one at a time, on random columns of every type.
@Suite struct OnlineJSONTests {
    /// Values that stress the spelling: extremes, non-finite numbers,
    /// control characters, quotes, backslashes, non-ASCII text, empty text.
    static func randomValue(_ type: FeatureType, _ random: inout SplitMix64) -> FeatureValue {
        if random.next() % 5 == 0 { return .null }
        let pick = Int(random.next() % 6)
        switch type {
        case .int64: return .int64([Int64.min, Int64.max, 0, -1, 42, Int64(bitPattern: random.next())][pick])
        case .float64: return .float64([.nan, .infinity, -.infinity, 0.1, -0.0, Double(bitPattern: random.next() >> 2)][pick])
        case .bool: return .bool(pick % 2 == 0)
        case .timestamp:
            let span = UInt64(Timestamp.supported.upperBound - Timestamp.supported.lowerBound)
            return .timestamp(Timestamp(microseconds: Timestamp.supported.lowerBound + Int64(random.next() % span)))
        case .string: return .string(["", "plain", "quote \" and \\ backslash", "\u{0}\u{1}\u{8}\u{c}\n\r\t\u{1f}", "ß ∑ 日本 🥕", "/ and \u{7f}"][pick])
        case .bytes: return .bytes([[], [0], [255, 254, 1], Array(0..<20), [92, 34], [10, 13]][pick])
        case .vector: return .vector([[0.1, -2, 3e38], [.nan, .infinity, -.infinity], [0, -0, 1], [.leastNonzeroMagnitude, 5, 6], [1, 2, 3], [-1, -2, -3]][pick])
        }
    }

    /// The oracle's spelling of one value.
    static func spelled(_ value: FeatureValue) -> String {
        switch value {
        case .null: return "null"
        case .int64(let v): return String(v)
        case .float64(let v): return v.isFinite ? String(v) : "\"\(v.isNaN ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"))\""
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return JSONValue.quoted(v)
        case .timestamp(let v): return "\"\(v.description)\""
        case .bytes: return "\"\(value.text)\""
        case .vector(let v): return "[" + v.map { $0.isFinite ? String($0) : "\"\($0.isNaN ? "NaN" : ($0 > 0 ? "Infinity" : "-Infinity"))\"" }.joined(separator: ",") + "]"
        }
    }

    @Test(arguments: 0..<20)
    func theAnswerIsSpelledValueByValue(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let types: [FeatureType] = [.int64, .float64, .bool, .timestamp, .string, .bytes, .vector(dimension: 3)]
        let rows = Int(random.next() % 5)
        var key = Column(type: .int64)
        for row in 0..<rows { key.append(Int64(row) * 7 - 3) }
        let statuses = FeatureStatus.allCases
        var values: [Column] = [], statusLists: [[FeatureStatus]] = [], times: [[Timestamp?]] = []
        for type in types {
            var column = Column(type: type)
            for _ in 0..<rows { try column.append(Self.randomValue(type, &random)) }
            values.append(column)
            statusLists.append((0..<rows).map { _ in statuses[Int(random.next() % UInt64(statuses.count))] })
            times.append((0..<rows).map { _ in random.next() % 3 == 0 ? nil : Timestamp(microseconds: Int64(random.next() % (1 << 52))) })
        }
        let names = types.indices.map { "f\($0)" }
        let result = OnlineResult(featureNames: names, values: values, statuses: statusLists, eventTimestamps: times)
        let entities = FeatureFrame(names: ["id \"1\""], columns: [key])

        func list(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
        let epoch = "\"1970-01-01T00:00:00Z\""
        var results = [#"{"event_timestamps":"# + list(Array(repeating: epoch, count: rows)) + #","statuses":"#
            + list(Array(repeating: "\"PRESENT\"", count: rows)) + #","values":"# + list((0..<rows).map { Self.spelled(key.value($0)) }) + "}"]
        for f in values.indices {
            results.append(#"{"event_timestamps":"# + list(times[f].map { $0.map { "\"\($0.description)\"" } ?? epoch })
                + #","statuses":"# + list(statusLists[f].map { "\"\($0.rawValue)\"" })
                + #","values":"# + list((0..<rows).map { Self.spelled(values[f].value($0)) }) + "}")
        }
        let expected = #"{"metadata":{"feature_names":"# + list((entities.names + names).map(JSONValue.quoted)) + #"},"results":"# + list(results) + "}"

        var written: [UInt8] = Array("prefix".utf8)
        result.writeJSON(entities: entities, into: &written)
        #expect(String(decoding: written.dropFirst(6), as: UTF8.self) == expected)
        #expect(result.json(entities: entities) == expected)
        #expect(try JSONSerialization.jsonObject(with: Data(expected.utf8)) is [String: Any])
    }

    @Test func everyByteOfAStringIsQuotedSoThatJSONReadsItBack() throws {
        var text = String(decoding: (0..<128).map(UInt8.init), as: UTF8.self) + "ß ∑ 日本 🥕 \u{2028}"
        text += text
        let quoted = JSONValue.quoted(text)
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(quoted)]".utf8)) as? [String]
        #expect(decoded == [text])
        #expect(!quoted.utf8.dropFirst().dropLast().contains { $0 < 0x20 }, "a control character went through unescaped")
        #expect(quoted.hasPrefix(#""\u0000\u0001"#) && quoted.contains(#"\b\t\n\u000b\f\r"#) && quoted.contains(##" !\"#"##) && quoted.contains(#"[\\]"#))
    }
}
