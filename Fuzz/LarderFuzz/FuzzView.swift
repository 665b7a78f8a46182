@testable import Larder

/// The view that fuzzed records are typed for: both join key types and every
/// feature type, with every kind of expectation, so that typing and
/// validation run on whatever the readers produce.
enum FuzzView {
    /// `fuzz@1`, keyed by `id` (int64) and `name` (string).
    static let view = FeatureView(
        id: 1, version: 1,
        definition: FeatureViewDefinition(name: "fuzz", entity: "thing", ttl: 0, features: [
            FeatureDefinition(name: "count", type: .int64, expectations: Expectations(notNull: true, min: 0, max: 1_000_000)),
            FeatureDefinition(name: "code", type: .int64, expectations: Expectations(allowed: ["1", "2", "3"])),
            FeatureDefinition(name: "rate", type: .float64, expectations: Expectations(min: 0, max: 1)),
            FeatureDefinition(name: "score", type: .float64, expectations: Expectations(allowNaN: true)),
            FeatureDefinition(name: "flag", type: .bool),
            FeatureDefinition(name: "city", type: .string, expectations: Expectations(allowed: ["oslo", "rome"])),
            FeatureDefinition(name: "note", type: .string),
            FeatureDefinition(name: "blob", type: .bytes),
            FeatureDefinition(name: "seen", type: .timestamp, expectations: Expectations(min: 0)),
            FeatureDefinition(name: "emb", type: .vector(dimension: 3)),
            FeatureDefinition(name: "embn", type: .vector(dimension: 2), expectations: Expectations(allowNaN: true)),
        ]),
        joinKeys: [JoinKey(name: "id", type: .int64), JoinKey(name: "name", type: .string)],
        createdAt: 0)

    /// The keys a JSON Lines reader expects for ``view`` (as the backfill
    /// builds them): join keys, the two times, then features.
    static func jsonColumns(_ options: IngestOptions) -> [String] {
        view.joinKeys.map(\.name) + [options.eventTimeColumn, options.createdTimeColumn] + view.features.map(\.name)
    }

    /// Ingest options from settings byte `index` of `input`: assume UTC,
    /// the integer epoch unit, allow missing features, ignore unknown columns.
    static func options(_ input: FuzzInput, settingsByte index: Int) -> IngestOptions {
        var options = IngestOptions()
        options.assumeUTC = input.flag(index, bit: 0)
        options.timeUnit = [nil, .s, .ms, .us][input.bits(index, 1...2)]
        options.allowMissingFeatures = input.flag(index, bit: 3)
        options.ignoreUnknownColumns = input.flag(index, bit: 4)
        return options
    }
}
