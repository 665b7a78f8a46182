/// The rules for names of entities, join keys, views, features and feature
/// sets (semantics §1): `[a-z_][a-z0-9_]{0,62}`, not starting with `__`, and
/// not one of the reserved column names.
package enum Identifier {
    /// Column names that every view table has and that no user name may take.
    package static let reservedColumns: Set<String> = ["event_timestamp", "created_timestamp"]

    /// Why `name` is not a valid identifier, or `nil` when it is.
    package static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        guard let first = bytes.first else { return "an identifier cannot be empty" }
        guard bytes.count <= 63 else { return "identifier \"\(name)\" is longer than 63 characters" }
        let isLower = { (b: UInt8) in b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z") }
        let isDigit = { (b: UInt8) in b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
        let underscore = UInt8(ascii: "_")
        guard isLower(first) || first == underscore else {
            return "identifier \"\(name)\" must start with a lowercase letter or \"_\" (allowed: [a-z_][a-z0-9_]{0,62})"
        }
        for b in bytes where !(isLower(b) || isDigit(b) || b == underscore) {
            return "identifier \"\(name)\" contains \"\(String(decoding: [b], as: UTF8.self))\" (allowed: [a-z_][a-z0-9_]{0,62})"
        }
        if name.hasPrefix("__") { return "identifier \"\(name)\" is reserved (names starting with \"__\" are Larder's)" }
        if reservedColumns.contains(name) { return "identifier \"\(name)\" is reserved (a column every view has)" }
        return nil
    }

    /// Throws ``LarderError/invalidIdentifier(_:reason:)`` unless `name` is valid.
    package static func validate(_ name: String) throws(LarderError) {
        if let reason = problem(with: name) { throw .invalidIdentifier(name, reason: reason) }
    }

    /// `name` quoted for SQL. Only call this on validated identifiers.
    package static func quoted(_ name: String) -> String { "\"\(name)\"" }
}
