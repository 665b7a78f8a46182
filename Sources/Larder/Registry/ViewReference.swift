/// A view named on its own, `VIEW` (the latest version) or `VIEW@N`.
public struct ViewReference: Sendable, Hashable, CustomStringConvertible {
    /// The view's name.
    public var name: String
    /// The version, or nil for the latest.
    public var version: Int?

    /// A reference to version `version` (nil: the latest) of `name`.
    public init(name: String, version: Int? = nil) {
        self.name = name
        self.version = version
    }

    /// Parses `VIEW` or `VIEW@N`.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` when the text has no
    ///   name, more than one `@`, or a version that is not a positive number.
    public init(parsing text: String) throws(LarderError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { throw .invalidInput("expected VIEW or VIEW@N, got \"\(text)\"") }
        name = String(parts[0])
        guard parts.count == 2 else { return }
        guard let n = Int(parts[1]), n >= 1 else { throw .invalidInput("\"\(parts[1])\" is not a version number in \"\(text)\"") }
        version = n
    }

    /// `VIEW` or `VIEW@N`.
    public var description: String { name + (version.map { "@\($0)" } ?? "") }
}
