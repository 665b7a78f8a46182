@testable import Larder

/// The definitions parser under fuzzing: YAML text (invalid UTF-8 replaced,
/// as `Definitions.load` reads files) parsed into ``Definitions``.
///
/// What parses must hold what the parser promises: valid identifiers,
/// at least one join key per entity and one feature per view and set, a
/// TTL that formats and re-parses to itself, types that re-parse from their
/// spelling, `min <= max`.
public enum DefinitionsFuzz {
    /// Parses `data`; traps only when an invariant breaks.
    public static func run(_ data: UnsafeRawBufferPointer) {
        let definitions: Definitions
        do {
            definitions = try Definitions.parse(yaml: String(decoding: data, as: UTF8.self), file: "fuzz.yaml")
        } catch {
            _ = error.description
            return
        }
        for entity in definitions.entities {
            checkName(entity.name)
            invariant(!entity.joinKeys.isEmpty, "entity without join keys")
            entity.joinKeys.forEach { checkName($0.name) }
        }
        for view in definitions.featureViews {
            checkName(view.name)
            checkName(view.entity)
            invariant(view.ttl >= 0 && DurationText.parse(DurationText.format(view.ttl)) == view.ttl,
                         "TTL does not round-trip")
            invariant(!view.features.isEmpty, "view without features")
            for feature in view.features {
                checkName(feature.name)
                invariant(FeatureType(parsing: feature.type.description) == feature.type, "type does not round-trip")
                if let min = feature.expectations.min, let max = feature.expectations.max {
                    invariant(min <= max, "min above max")
                }
            }
        }
        for set in definitions.featureSets {
            checkName(set.name)
            invariant(!set.features.isEmpty, "feature set without features")
        }
    }

    /// Traps unless `name` is a valid identifier.
    private static func checkName(_ name: String) {
        invariant(Identifier.problem(with: name) == nil, "invalid identifier accepted: \(name)")
    }
}
