import Larder

/// The body of an online request (semantics §8): `features` (a list of
/// references) or `feature_set`, `entities` (join key → list of values),
/// `full_feature_names` and `as_of`, read in one pass straight from the
/// body's bytes with the library's JSON scanner (UTF-8 checked first,
/// nesting bounded, every string's escapes checked).
struct OnlineRequest {
    /// The features asked for and their naming.
    var shape: ReaderCache.Shape
    /// One list of values per join key name, in the body's order.
    var entities: [(name: String, values: [EntityRows.KeyValue])]
    /// The time to answer at, or nil for now.
    var asOf: Timestamp?

    /// The fields a body may hold, for messages.
    static let fields = "features | feature_set, entities, full_feature_names, as_of"

    /// The request in `body`.
    ///
    /// - Throws: a 400 ``ServerError`` naming what is missing, malformed or
    ///   of the wrong JSON type.
    static func parse(_ body: UnsafeRawBufferPointer, maxEntities: Int) throws(ServerError) -> OnlineRequest {
        guard !body.isEmpty else { throw .badRequest("the body is not valid JSON: it is empty") }
        if let bad = body.firstInvalidUTF8Offset() {
            throw .badRequest("the body is not valid JSON: invalid UTF-8 at byte \(bad + 1)")
        }
        var scanner = JSONScanner(body, unit: "body")
        do throws(JSONScanner.Failure) {
            return try parse(&scanner, maxEntities: maxEntities)
        } catch {
            guard error.column.isEmpty else { throw .badRequest(error.reason) }
            let reason = error.reason.hasPrefix("malformed JSON: ") ? String(error.reason.dropFirst(16)) : error.reason
            throw .badRequest("the body is not valid JSON: \(reason)")
        }
    }

    /// A failure that is about the request's content, not its syntax.
    private static func content(_ message: String) -> JSONScanner.Failure {
        JSONScanner.Failure(column: "content", value: "", reason: message)
    }

    private static func parse(_ s: inout JSONScanner, maxEntities: Int) throws(JSONScanner.Failure) -> OnlineRequest {
        s.skipWhitespace()
        guard s.peek == UInt8(ascii: "{") else { throw content("the body is \(try kind(&s)), not an object") }
        var request = OnlineRequest(shape: ReaderCache.Shape(features: nil, featureSet: nil, fullNames: false), entities: [], asOf: nil)
        var seen: Set<String> = []
        var setGiven = false
        try JSONScanner.members(&s) { key, s throws(JSONScanner.Failure) in
            guard seen.insert(key).inserted else { throw content("the field \"\(key)\" is given twice") }
            switch key {
            case "features":
                guard s.peek == UInt8(ascii: "[") else { throw content("features is \(try kind(&s)), not an array of references") }
                var features: [String] = []
                try JSONScanner.elements(&s) { i, s throws(JSONScanner.Failure) in
                    guard s.peek == UInt8(ascii: "\"") else {
                        throw content("features[\(i)] is \(try kind(&s)), not a reference such as \"view:feature\"")
                    }
                    features.append(try s.unescapedString())
                }
                guard !features.isEmpty else { throw content("features is empty") }
                request.shape.features = features
            case "feature_set", "feature_service":
                guard !setGiven else { throw content("give feature_set or feature_service, not both") }
                setGiven = true
                guard s.peek == UInt8(ascii: "\"") else { throw content("\(key) is \(try kind(&s)), not a name") }
                request.shape.featureSet = try s.unescapedString()
            case "full_feature_names":
                switch s.peek {
                case UInt8(ascii: "t"): try s.literal("true"); request.shape.fullNames = true
                case UInt8(ascii: "f"): try s.literal("false")
                case UInt8(ascii: "n"): try s.literal("null")
                default: throw content("full_feature_names is \(try kind(&s)), not a boolean")
                }
            case "as_of":
                if s.peek == UInt8(ascii: "n") {
                    try s.literal("null")
                } else {
                    guard s.peek == UInt8(ascii: "\"") else {
                        throw content("as_of is \(try kind(&s)), not a time such as \"2026-12-03T08:00:00Z\"")
                    }
                    let text = try s.unescapedString()
                    do throws(LarderError) {
                        request.asOf = try Timestamp(parsing: text)
                    } catch {
                        throw content("as_of: \(error.message)")
                    }
                }
            case "entities":
                guard s.peek == UInt8(ascii: "{") else {
                    throw content("entities is \(try kind(&s)); give an object of join key → list of values")
                }
                try entities(&s, into: &request, maxEntities: maxEntities)
            default:
                throw content("unknown field \"\(key)\"; the fields are \(fields)")
            }
        }
        s.skipWhitespace()
        guard s.p == s.n else { throw s.syntax("unexpected text after the object") }
        switch (request.shape.features, request.shape.featureSet) {
        case (nil, nil): throw content("give features (a list of references) or feature_set (a name)")
        case (_?, _?): throw content("give features or feature_set, not both")
        default: break
        }
        guard seen.contains("entities") else { throw content("entities is missing; give an object of join key → list of values") }
        return request
    }

    /// Reads the `entities` object at the scanner's position.
    private static func entities(_ s: inout JSONScanner, into request: inout OnlineRequest,
                                 maxEntities: Int) throws(JSONScanner.Failure) {
        var count: Int?
        try JSONScanner.members(&s) { name, s throws(JSONScanner.Failure) in
            guard !request.entities.contains(where: { $0.name == name }) else { throw content("entities.\(name) is given twice") }
            guard s.peek == UInt8(ascii: "[") else { throw content("entities.\(name) is \(try kind(&s)), not a list of values") }
            var values: [EntityRows.KeyValue] = []
            try JSONScanner.elements(&s) { i, s throws(JSONScanner.Failure) in
                guard i < maxEntities else { throw content("entities.\(name) has more than \(maxEntities) values; at most \(maxEntities) per request") }
                values.append(try keyValue(&s))
            }
            guard !values.isEmpty else { throw content("entities.\(name) is empty") }
            if let count, count != values.count {
                throw content("entities.\(name) has \(values.count) values, but the other keys have \(count); every key needs one per entity")
            }
            count = values.count
            request.entities.append((name, values))
        }
        guard !request.entities.isEmpty else { throw content("entities is empty") }
    }

    /// One entity key value: an integer that fits an `int64`, a string, or
    /// anything else (skipped, then refused by ``EntityRows/frame(_:joinKeys:)``
    /// with the key's name and index).
    private static func keyValue(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> EntityRows.KeyValue {
        switch s.peek {
        case UInt8(ascii: "\""):
            return .string(try s.unescapedString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = s.p
            try s.number()
            let digits = s.bytes(start..<s.p)
            guard !digits.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }),
                  let value = Int64(String(decoding: digits, as: UTF8.self)) else { return .other }
            return .int(value)
        default:
            try s.skipValue()
            return .other
        }
    }

    /// What the value at the scanner's position is, for messages; skips it,
    /// checking its syntax.
    private static func kind(_ s: inout JSONScanner) throws(JSONScanner.Failure) -> String {
        let start = s.p
        try s.skipValue()
        switch s.b[start] {
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        default:
            let literal = s.bytes(start..<s.p)
            return literal.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") } ? "a number" : "an integer"
        }
    }
}
