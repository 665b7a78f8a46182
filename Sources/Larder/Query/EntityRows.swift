import Foundation

/// The entities of an online request, as a frame of join key columns typed
/// by their entity (`int64` or `string`), from the forms clients send them in.
public enum EntityRows {
    /// Entities written `KEY=VALUE[,KEY=VALUE]`, one string per entity (the
    /// CLI's `--entity`). Every join key must be given, and nothing else.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` naming the entity and
    ///   the key for a malformed pair, a missing or unknown key, or a value
    ///   that is not an `int64` where one is needed.
    public static func parse(_ entities: [String], joinKeys: [JoinKey]) throws(LarderError) -> FeatureFrame {
        var columns = joinKeys.map { Column(type: $0.type.featureType, capacity: entities.count) }
        for entity in entities {
            var given: [String: String] = [:]
            for pair in entity.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw .invalidInput("entity \"\(entity)\": expected KEY=VALUE") }
                given[String(parts[0])] = String(parts[1])
            }
            for (k, key) in joinKeys.enumerated() {
                guard let text = given.removeValue(forKey: key.name) else {
                    throw .invalidInput("entity \"\(entity)\" lacks join key \(key.name)")
                }
                if key.type == .int64 {
                    guard let value = Int64(text) else { throw .invalidInput("entity \"\(entity)\": \(key.name) \"\(text)\" is not an int64") }
                    columns[k].append(value)
                } else {
                    columns[k].append(text)
                }
            }
            if let extra = given.keys.sorted().first { throw .invalidInput("entity \"\(entity)\": \(extra) is not a join key of these features") }
        }
        return FeatureFrame(names: joinKeys.map(\.name), columns: columns)
    }

    /// Entities as the JSON object of semantics §8, one array per join key
    /// (`{"driver_id": [1001, 1002]}`): `int64` keys are JSON integers,
    /// `string` keys JSON strings, every array of the same length.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` for text that is not
    ///   such an object, a missing or unknown key, arrays of different
    ///   lengths, or a value of the wrong JSON type (naming key and index).
    public static func parse(json: [UInt8], joinKeys: [JoinKey]) throws(LarderError) -> FeatureFrame {
        let object: [String: [KeyValue]]
        do {
            object = try JSONDecoder().decode([String: [KeyValue]].self, from: Data(json))
        } catch {
            throw .invalidInput("entities: expected a JSON object with one array per join key (\(joinKeys.map(\.name).joined(separator: ", ")))")
        }
        return try frame(object.map { ($0.key, $0.value) }, joinKeys: joinKeys)
    }

    /// Entities whose JSON arrays were already read (by a server reading a
    /// request body itself): one array of values per join key name, every
    /// array of the same length, typed by the rule of ``parse(json:joinKeys:)``.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` for a missing or
    ///   unknown key, arrays of different lengths, or a value of the wrong
    ///   JSON type (naming key and index).
    public static func frame(_ arrays: [(name: String, values: [KeyValue])], joinKeys: [JoinKey]) throws(LarderError) -> FeatureFrame {
        if let extra = arrays.map(\.name).sorted().first(where: { name in !joinKeys.contains { $0.name == name } }) {
            throw .invalidInput("entities: \(extra) is not a join key of these features (they are \(joinKeys.map(\.name).joined(separator: ", ")))")
        }
        var columns: [Column] = []
        var count: Int?
        for key in joinKeys {
            guard let values = arrays.first(where: { $0.name == key.name })?.values else {
                throw .invalidInput("entities: no array for join key \(key.name)")
            }
            if let count, values.count != count { throw .invalidInput("entities: \(key.name) has \(values.count) values, not \(count) like the other keys") }
            count = values.count
            var column = Column(type: key.type.featureType, capacity: values.count)
            for (i, value) in values.enumerated() {
                switch (key.type, value) {
                case (.int64, .int(let v)): column.append(v)
                case (.string, .string(let v)): column.append(v)
                default: throw .invalidInput("entities: \(key.name)[\(i)] is \(value), not \(key.type == .int64 ? "an int64" : "a string")")
                }
            }
            columns.append(column)
        }
        return FeatureFrame(names: joinKeys.map(\.name), columns: columns)
    }

    /// One JSON value given for a join key.
    public enum KeyValue: Sendable, Decodable, CustomStringConvertible {
        /// A JSON integer that fits an `int64`.
        case int(Int64)
        /// A JSON string.
        case string(String)
        /// Anything else (a fraction, a boolean, null, an array, an object).
        case other

        /// Decodes one JSON value.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Int64.self) {
                self = .int(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .other
            }
        }

        /// The value as errors name it.
        public var description: String {
            switch self {
            case .int(let v): String(v)
            case .string(let v): "the string \"\(v)\""
            case .other: "not an integer or a string"
            }
        }
    }
}
