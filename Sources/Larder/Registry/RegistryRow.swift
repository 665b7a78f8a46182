import Foundation

/// One row of a registry table being loaded, whatever the engine: checks
/// its columns and names the store, the table, the row and the column in
/// each error.
struct RegistryRow {
    /// The store file.
    let path: String
    /// The registry table.
    let table: String
    /// How the row is named in messages (`driver_stats@2`, `driver_stats@2:conv_rate`).
    let row: String

    /// A ``LarderError/corruptStore(path:message:)`` for `column` of this row.
    func corrupt(_ column: String, _ problem: String) -> LarderError {
        .corruptStore(path: path, message: "table \(table), row \(row), column \(column): \(problem)")
    }

    /// `value`, which must be a valid identifier.
    func identifier(_ value: String, column: String) throws(LarderError) -> String {
        if let problem = Identifier.problem(with: value) { throw corrupt(column, problem) }
        return value
    }

    /// The JSON in `text` decoded as `type`; `expected` says what it should
    /// look like when it does not decode.
    func json<T: Decodable>(_ type: T.Type, _ text: String, column: String, expected: String) throws(LarderError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw corrupt(column, "expected \(expected), found \"\(Self.shorten(text))\"")
        }
    }

    /// The join keys stored as JSON in `text` (column `join_keys`): at least
    /// one, each a valid, distinct identifier of a known key type.
    func joinKeys(_ text: String) throws(LarderError) -> [JoinKey] {
        let stored = try json([Registry.StoredJoinKey].self, text, column: "join_keys",
                              expected: "a JSON list like [{\"name\": \"driver_id\", \"type\": \"int64\"}]")
        guard !stored.isEmpty else { throw corrupt("join_keys", "no join keys") }
        var keys: [JoinKey] = []
        for key in stored {
            let name = try identifier(key.name, column: "join_keys")
            guard let type = KeyType(rawValue: key.type) else {
                throw corrupt("join_keys", "unknown join key type \"\(Self.shorten(key.type))\" of key \"\(name)\" (allowed: int64, string)")
            }
            guard !keys.contains(where: { $0.name == name }) else { throw corrupt("join_keys", "duplicate join key \"\(name)\"") }
            keys.append(JoinKey(name: name, type: type))
        }
        return keys
    }

    /// `value` as one short line, for a message.
    static func shorten(_ value: String) -> String { ValidationProblem.shorten(value) }
}
