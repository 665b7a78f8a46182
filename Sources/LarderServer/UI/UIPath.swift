import Foundation

/// The UI's addresses, built in one place; names are percent-encoded, so
/// any view or feature name makes a valid, shareable link.
enum UIPath {
    static let root = "/ui/"

    static func view(_ name: String, version: Int) -> String { "/ui/views/\(segment(name))?version=\(version)" }

    static func run(_ view: String, id: Int64) -> String { "/ui/views/\(segment(view))/runs/\(id)" }

    static func featurePath(_ view: String, feature: String) -> String { "/ui/views/\(segment(view))/features/\(segment(feature))" }

    static func feature(_ view: String, version: Int, feature: String, query: [(String, String)] = []) -> String {
        featurePath(view, feature: feature) + "?" + encode([("version", String(version))] + query)
    }

    static func driftPath(_ view: String) -> String { "/ui/views/\(segment(view))/drift" }

    static func drift(_ view: String, version: Int, query: [(String, String)] = []) -> String {
        driftPath(view) + "?" + encode([("version", String(version))] + query)
    }

    /// `name` as one path segment.
    static func segment(_ name: String) -> String { component(name) }

    /// A query string of `pairs`.
    static func encode(_ pairs: [(String, String)]) -> String { pairs.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&") }

    private static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    private static func component(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }
}
