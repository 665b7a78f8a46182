/// Rules a feature's values must follow; checked on every write (semantics §4).
public struct Expectations: Hashable, Sendable {
    /// Null values are refused.
    public var notNull = false
    /// Smallest allowed value of a numeric feature (inclusive).
    public var min: Double?
    /// Largest allowed value of a numeric feature (inclusive).
    public var max: Double?
    /// The only values allowed, as text (`string` and `int64` features).
    public var allowed: [String]?
    /// NaN is accepted in a `float64` or vector feature.
    public var allowNaN = false
    /// The andon on nulls: a run whose rows hold nulls of this feature at a
    /// greater rate (a fraction, 0…1) is refused as a whole.
    public var maxNullRate: Double?
    /// The andon on rejects: a run that rejects (`--on-error skip`) a greater
    /// fraction of the rows it read for this feature's value is refused as a whole.
    public var maxRejectRate: Double?
    /// This feature's drift thresholds, over the defaults (`larder drift`).
    public var drift = DriftOverrides()

    /// No expectations.
    public init(notNull: Bool = false, min: Double? = nil, max: Double? = nil, allowed: [String]? = nil, allowNaN: Bool = false,
                maxNullRate: Double? = nil, maxRejectRate: Double? = nil, drift: DriftOverrides = DriftOverrides()) {
        self.notNull = notNull
        self.min = min
        self.max = max
        self.allowed = allowed
        self.allowNaN = allowNaN
        self.maxNullRate = maxNullRate
        self.maxRejectRate = maxRejectRate
        self.drift = drift
    }

    /// Whether there is nothing to check.
    public var isEmpty: Bool { self == Expectations() }
}

/// A feature of a view: name, type, expectations and description.
public struct FeatureDefinition: Hashable, Sendable {
    /// The feature's name (its column in the view's table).
    public var name: String
    /// The value type.
    public var type: FeatureType
    /// Rules checked on every write.
    public var expectations: Expectations
    /// Free text.
    public var description: String

    /// A feature named `name` of type `type`.
    public init(name: String, type: FeatureType, expectations: Expectations = Expectations(), description: String = "") {
        self.name = name
        self.type = type
        self.expectations = expectations
        self.description = description
    }
}
