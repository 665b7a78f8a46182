/// A reference to a feature: `view:feature`, `view@2:feature`, or `view:*`.
public struct FeatureReference: Hashable, Sendable, CustomStringConvertible {
    /// The view's name.
    public var view: String
    /// The pinned version, or `nil` for the latest.
    public var version: Int?
    /// The feature's name, or `nil` for every feature (`view:*`).
    public var feature: String?

    /// A reference to `feature` (nil = all) of `view`, at `version` (nil = latest).
    public init(view: String, version: Int? = nil, feature: String?) {
        self.view = view
        self.version = version
        self.feature = feature
    }

    /// Parses `view[@N]:feature` or `view[@N]:*`.
    public init(parsing text: String) throws(LarderError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidInput("feature reference \"\(text)\" must look like view:feature, view@2:feature or view:*")
        }
        let viewPart = parts[0].split(separator: "@", omittingEmptySubsequences: false)
        guard viewPart.count <= 2 else { throw .invalidInput("feature reference \"\(text)\" has more than one @") }
        view = String(viewPart[0])
        try Identifier.validate(view)
        if viewPart.count == 2 {
            guard let n = Int(viewPart[1]), n >= 1 else {
                throw .invalidInput("feature reference \"\(text)\": version \"\(viewPart[1])\" is not a positive number")
            }
            version = n
        }
        feature = parts[1] == "*" ? nil : String(parts[1])
        if let feature { try Identifier.validate(feature) }
    }

    /// Parses a comma-separated list of references.
    public static func parseList(_ text: String) throws(LarderError) -> [FeatureReference] {
        var refs: [FeatureReference] = []
        for part in text.split(separator: ",") {
            refs.append(try FeatureReference(parsing: part.trimmingCharacters(in: " ")))
        }
        guard !refs.isEmpty else { throw .invalidInput("no feature references given") }
        return refs
    }

    /// `view[@N]:feature` or `view[@N]:*`.
    public var description: String {
        "\(view)\(version.map { "@\($0)" } ?? ""):\(feature ?? "*")"
    }
}

/// A feature set as written in a definitions file (Feast calls it a feature service).
public struct FeatureSetDefinition: Hashable, Sendable {
    /// The set's name.
    public var name: String
    /// The references, as written (versions usually unpinned).
    public var features: [FeatureReference]
    /// Free text.
    public var description: String

    /// A feature set definition.
    public init(name: String, features: [FeatureReference], description: String = "") {
        self.name = name
        self.features = features
        self.description = description
    }
}

/// A stored version of a feature set: every reference resolved to one
/// feature of one pinned view version.
public struct FeatureSet: Hashable, Sendable {
    /// The set's name.
    public let name: String
    /// The version number, 1 for the first.
    public let version: Int
    /// Pinned references, one per feature (`view@N:feature`).
    public let features: [FeatureReference]
    /// Free text.
    public var description: String
    /// When this version was created.
    public let createdAt: Timestamp
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
