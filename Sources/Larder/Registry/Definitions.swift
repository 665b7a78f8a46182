import Yams

/// The contents of a definitions file (semantics §6): entities, feature views
/// and feature sets, with the line of every key so that later checks can
/// point at the file.
public struct Definitions: Sendable {
    /// The file the definitions came from (for messages).
    public var file: String
    /// Entities, in file order.
    public var entities: [Entity] = []
    /// Feature views, in file order.
    public var featureViews: [FeatureViewDefinition] = []
    /// Feature sets, in file order.
    public var featureSets: [FeatureSetDefinition] = []
    /// The line of each key path (`feature_views[0].entity`).
    var lines: [String: Int] = [:]

    /// Empty definitions attributed to `file`.
    public init(file: String) { self.file = file }

    /// An error at `key`, pointing at its line in the file.
    func error(_ key: String, _ message: String) -> LarderError {
        .definitions(file: file, line: lines[key] ?? 1, key: key, message: message)
    }

    /// Reads and parses the definitions file at `path`.
    public static func load(path: String) throws(LarderError) -> Definitions {
        try parse(yaml: try FileSystem.readText(path), file: path)
    }

    /// Parses YAML text. Every mistake is reported with the file, the line and
    /// the key path.
    public static func parse(yaml: String, file: String) throws(LarderError) -> Definitions {
        var parser = DefinitionsParser(file: file)
        do {
            return try parser.parse(yaml)
        } catch let error as LarderError {
            throw error
        } catch let error as YamlError {
            throw YAMLErrorReport.error(error, yaml: yaml, file: file)
        } catch {
            throw .definitions(file: file, line: 1, key: "", message: "\(error)")
        }
    }
}

/// Reads a YAML node tree into ``Definitions``, checking names and types.
private struct DefinitionsParser {
    var definitions: Definitions

    init(file: String) { definitions = Definitions(file: file) }

    mutating func parse(_ yaml: String) throws -> Definitions {
        guard let root = try Yams.compose(yaml: yaml) else { return definitions }
        let top = try mapping(root, key: "")
        try allowOnly(top, ["entities", "feature_views", "feature_sets"], key: "")
        if let node = top["entities"] {
            for (i, item) in try sequence(node, key: "entities").enumerated() {
                definitions.entities.append(try entity(item, key: "entities[\(i)]"))
            }
        }
        if let node = top["feature_views"] {
            for (i, item) in try sequence(node, key: "feature_views").enumerated() {
                definitions.featureViews.append(try view(item, key: "feature_views[\(i)]"))
            }
        }
        if let node = top["feature_sets"] {
            for (i, item) in try sequence(node, key: "feature_sets").enumerated() {
                definitions.featureSets.append(try featureSet(item, key: "feature_sets[\(i)]"))
            }
        }
        try checkDuplicates(definitions.entities.map(\.name), key: "entities", what: "entity")
        try checkDuplicates(definitions.featureViews.map(\.name), key: "feature_views", what: "feature view")
        try checkDuplicates(definitions.featureSets.map(\.name), key: "feature_sets", what: "feature set")
        return definitions
    }

    // MARK: Objects

    mutating func entity(_ node: Node, key: String) throws -> Entity {
        let map = try mapping(node, key: key)
        try allowOnly(map, ["name", "join_keys", "description"], key: key)
        let name = try identifier(map, "name", key: key)
        let keysNode = try required(map, "join_keys", key: key)
        var keys: [JoinKey] = []
        for (i, item) in try sequence(keysNode, key: "\(key).join_keys").enumerated() {
            let k = "\(key).join_keys[\(i)]"
            let keyMap = try mapping(item, key: k)
            try allowOnly(keyMap, ["name", "type"], key: k)
            let keyName = try identifier(keyMap, "name", key: k)
            let typeText = try string(try required(keyMap, "type", key: k), key: "\(k).type")
            guard let type = KeyType(rawValue: typeText) else {
                throw definitions.error("\(k).type", "unknown join key type \"\(typeText)\" (allowed: int64, string)")
            }
            keys.append(JoinKey(name: keyName, type: type))
        }
        guard !keys.isEmpty else { throw definitions.error("\(key).join_keys", "an entity needs at least one join key") }
        try checkDuplicates(keys.map(\.name), key: "\(key).join_keys", what: "join key")
        let description = try optionalString(map, "description", key: key) ?? ""
        return Entity(name: name, joinKeys: keys, description: description)
    }

    mutating func view(_ node: Node, key: String) throws -> FeatureViewDefinition {
        let map = try mapping(node, key: key)
        try allowOnly(map, ["name", "entity", "ttl", "features", "description", "owner", "tags"], key: key)
        let name = try identifier(map, "name", key: key)
        let entity = try identifier(map, "entity", key: key)
        var ttl: Int64 = 0
        if let ttlNode = map["ttl"] {
            let text = try string(ttlNode, key: "\(key).ttl")
            guard let parsed = DurationText.parse(text) else {
                throw definitions.error("\(key).ttl", "bad duration \"\(text)\" (use e.g. 90s, 15m, 12h, 7d, or 0 for no TTL)")
            }
            ttl = parsed
        }
        let featuresNode = try required(map, "features", key: key)
        var features: [FeatureDefinition] = []
        for (i, item) in try sequence(featuresNode, key: "\(key).features").enumerated() {
            features.append(try feature(item, key: "\(key).features[\(i)]"))
        }
        guard !features.isEmpty else { throw definitions.error("\(key).features", "a feature view needs at least one feature") }
        try checkDuplicates(features.map(\.name), key: "\(key).features", what: "feature")
        var tags: [String: String] = [:]
        if let tagsNode = map["tags"] {
            for (k, v) in try mapping(tagsNode, key: "\(key).tags") {
                tags[try string(k, key: "\(key).tags")] = try string(v, key: "\(key).tags")
            }
        }
        return FeatureViewDefinition(
            name: name, entity: entity, ttl: ttl, features: features,
            description: try optionalString(map, "description", key: key) ?? "",
            owner: try optionalString(map, "owner", key: key) ?? "",
            tags: tags)
    }

    mutating func feature(_ node: Node, key: String) throws -> FeatureDefinition {
        let map = try mapping(node, key: key)
        try allowOnly(map, ["name", "type", "expect", "description"], key: key)
        let name = try identifier(map, "name", key: key)
        let typeText = try string(try required(map, "type", key: key), key: "\(key).type")
        guard let type = FeatureType(parsing: typeText) else {
            throw definitions.error("\(key).type", "unknown type \"\(typeText)\" (allowed: int64, float64, bool, string, bytes, timestamp, vector<float32, N>)")
        }
        var expect = Expectations()
        if let expectNode = map["expect"] {
            let k = "\(key).expect"
            let e = try mapping(expectNode, key: k)
            try allowOnly(e, ["not_null", "min", "max", "allowed", "allow_nan", "max_null_rate", "max_reject_rate", "drift"], key: k)
            expect.notNull = try optionalBool(e, "not_null", key: k) ?? false
            expect.allowNaN = try optionalBool(e, "allow_nan", key: k) ?? false
            expect.min = try optionalNumber(e, "min", key: k)
            expect.max = try optionalNumber(e, "max", key: k)
            if (expect.min != nil || expect.max != nil), ![.int64, .float64, .timestamp].contains(type) {
                throw definitions.error(k, "min/max apply to int64, float64 and timestamp features, not \(type)")
            }
            if let lo = expect.min, let hi = expect.max, lo > hi {
                throw definitions.error("\(k).min", "min \(lo) is greater than max \(hi)")
            }
            if expect.allowNaN, type != .float64, !type.isVector {
                throw definitions.error("\(k).allow_nan", "allow_nan applies to float64 and vector features, not \(type)")
            }
            if let allowedNode = e["allowed"] {
                guard type == .string || type == .int64 else {
                    throw definitions.error("\(k).allowed", "allowed applies to string and int64 features, not \(type)")
                }
                var allowed: [String] = []
                for item in try sequence(allowedNode, key: "\(k).allowed") {
                    let text = try string(item, key: "\(k).allowed")
                    if type == .int64, Int64(text) == nil {
                        throw definitions.error("\(k).allowed", "\"\(text)\" is not an int64")
                    }
                    allowed.append(text)
                }
                expect.allowed = allowed
            }
            expect.maxNullRate = try optionalFraction(e, "max_null_rate", key: k)
            expect.maxRejectRate = try optionalFraction(e, "max_reject_rate", key: k)
            if let driftNode = e["drift"] {
                let dk = "\(k).drift"
                let d = try mapping(driftNode, key: dk)
                try allowOnly(d, ["psi", "ks", "js", "null_rate_points", "reject_rate_points"], key: dk)
                func threshold(_ name: String) throws -> Double? {
                    let value = try optionalNumber(d, name, key: dk)
                    if let value, value < 0 { throw definitions.error("\(dk).\(name)", "a threshold is at least 0, found \(value)") }
                    return value
                }
                expect.drift = DriftOverrides(psi: try threshold("psi"), ks: try threshold("ks"), js: try threshold("js"),
                                              nullRateIncrease: try threshold("null_rate_points").map { $0 / 100 },
                                              rejectRateIncrease: try threshold("reject_rate_points").map { $0 / 100 })
            }
        }
        return FeatureDefinition(name: name, type: type, expectations: expect,
                                 description: try optionalString(map, "description", key: key) ?? "")
    }

    mutating func featureSet(_ node: Node, key: String) throws -> FeatureSetDefinition {
        let map = try mapping(node, key: key)
        try allowOnly(map, ["name", "features", "description"], key: key)
        let name = try identifier(map, "name", key: key)
        var refs: [FeatureReference] = []
        for (i, item) in try sequence(try required(map, "features", key: key), key: "\(key).features").enumerated() {
            let k = "\(key).features[\(i)]"
            let text = try string(item, key: k)
            do {
                refs.append(try FeatureReference(parsing: text))
            } catch {
                throw definitions.error(k, "\(error)")
            }
        }
        guard !refs.isEmpty else { throw definitions.error("\(key).features", "a feature set needs at least one feature") }
        return FeatureSetDefinition(name: name, features: refs,
                                    description: try optionalString(map, "description", key: key) ?? "")
    }

    // MARK: Node helpers

    mutating func note(_ node: Node, _ key: String) {
        if let line = node.mark?.line { definitions.lines[key] = line }
    }

    mutating func mapping(_ node: Node, key: String) throws -> Node.Mapping {
        note(node, key)
        guard let map = node.mapping else { throw definitions.error(key, "expected a mapping (key: value pairs)") }
        for (k, v) in map {
            if let name = k.string { note(v, key.isEmpty ? name : "\(key).\(name)") }
        }
        return map
    }

    mutating func sequence(_ node: Node, key: String) throws -> [Node] {
        note(node, key)
        guard let seq = node.sequence else { throw definitions.error(key, "expected a list") }
        for (i, item) in seq.enumerated() { note(item, "\(key)[\(i)]") }
        return Array(seq)
    }

    func string(_ node: Node, key: String) throws -> String {
        guard let scalar = node.scalar else { throw definitions.error(key, "expected a single value") }
        return scalar.string
    }

    func required(_ map: Node.Mapping, _ name: String, key: String) throws -> Node {
        guard let node = map[name] else { throw definitions.error(key, "missing required key \"\(name)\"") }
        return node
    }

    func identifier(_ map: Node.Mapping, _ name: String, key: String) throws -> String {
        let value = try string(try required(map, name, key: key), key: "\(key).\(name)")
        if let problem = Identifier.problem(with: value) { throw definitions.error("\(key).\(name)", problem) }
        return value
    }

    func optionalString(_ map: Node.Mapping, _ name: String, key: String) throws -> String? {
        try map[name].map { try string($0, key: "\(key).\(name)") }
    }

    func optionalBool(_ map: Node.Mapping, _ name: String, key: String) throws -> Bool? {
        guard let text = try optionalString(map, name, key: key) else { return nil }
        switch text {
        case "true", "True", "yes": return true
        case "false", "False", "no": return false
        default: throw definitions.error("\(key).\(name)", "expected true or false, found \"\(text)\"")
        }
    }

    func optionalNumber(_ map: Node.Mapping, _ name: String, key: String) throws -> Double? {
        guard let text = try optionalString(map, name, key: key) else { return nil }
        guard let value = Double(text), value.isFinite else {
            throw definitions.error("\(key).\(name)", "expected a number, found \"\(text)\"")
        }
        return value
    }

    /// A rate limit: a number from 0 to 1.
    func optionalFraction(_ map: Node.Mapping, _ name: String, key: String) throws -> Double? {
        guard let value = try optionalNumber(map, name, key: key) else { return nil }
        guard (0...1).contains(value) else {
            throw definitions.error("\(key).\(name)", "expected a fraction from 0 to 1 (0.05 is 5%), found \(value)")
        }
        return value
    }

    func allowOnly(_ map: Node.Mapping, _ names: Set<String>, key: String) throws {
        for (k, _) in map {
            let name = k.string ?? "?"
            if !names.contains(name) {
                let at = key.isEmpty ? name : "\(key).\(name)"
                throw definitions.error(at, "unknown key \"\(name)\" (allowed: \(names.sorted().joined(separator: ", ")))")
            }
        }
    }

    func checkDuplicates(_ names: [String], key: String, what: String) throws {
        var seen: Set<String> = []
        for (i, name) in names.enumerated() where !seen.insert(name).inserted {
            throw definitions.error("\(key)[\(i)]", "duplicate \(what) \"\(name)\"")
        }
    }
}

extension FeatureType {
    /// Whether this is a `vector<float32, N>` type.
    var isVector: Bool {
        if case .vector = self { return true }
        return false
    }
}
