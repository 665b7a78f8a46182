import Yams

/// Turns a Yams error into a definitions error at a line and column of the
/// file. Yams's own descriptions quote the input (a duplicate key error
/// quotes the whole file), so none of them is passed on.
enum YAMLErrorReport {
    /// The definitions error for `error`, thrown while parsing `yaml` (the text of `file`).
    static func error(_ error: YamlError, yaml: String, file: String) -> LarderError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let during = context.map { ", \($0.text) at line \($0.mark.line), column \($0.mark.column)" } ?? ""
            return .definitions(file: file, line: mark.line, key: "", message: "YAML syntax: \(problem) (column \(mark.column)\(during))")
        case .reader(let problem, let offset, _, _):
            guard let offset, let position = Self.position(ofCharacter: offset, in: yaml) else {
                return .definitions(file: file, line: 1, key: "", message: "YAML: \(problem)")
            }
            return .definitions(file: file, line: position.line, key: "", message: "YAML: \(problem) (column \(position.column))")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates.first ?? ""
            if let second = DuplicateKey(key: key, first: context.mark).locate(in: yaml) {
                return .definitions(file: file, line: second.mark.line, key: second.path, message: "duplicate key "
                                    + "(column \(second.mark.column); first at line \(context.mark.line), column \(context.mark.column))")
            }
            return .definitions(file: file, line: context.mark.line, key: key, message: "duplicate key")
        default:
            return .definitions(file: file, line: 1, key: "", message: "YAML: \(error)")
        }
    }

    /// The line and column (1-based, counted in Unicode scalars as libyaml
    /// does) of the character at `offset`.
    static func position(ofCharacter offset: Int, in yaml: String) -> (line: Int, column: Int)? {
        guard let index = yaml.index(yaml.startIndex, offsetBy: offset, limitedBy: yaml.endIndex) else { return nil }
        var line = 1, column = 1
        for scalar in yaml.unicodeScalars[..<index] {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}

/// Finds the second occurrence of a key that Yams reported as duplicated.
///
/// Yams gives only the first occurrence. So the first occurrence is renamed
/// (its first character replaced by one from Unicode's private use area, so
/// the name collides with nothing and every column stays put) and the text
/// parsed again, renaming each further duplicate the same way until it
/// parses; then the renamed key's mapping holds the second occurrence.
private struct DuplicateKey {
    /// The duplicated key.
    let key: String
    /// Where it first occurs.
    let first: Mark

    /// The second occurrence's position and key path (`feature_views[0].ttl`),
    /// or nil when the key cannot be found in the text as written (an escaped
    /// or complex key).
    func locate(in yaml: String) -> (mark: Mark, path: String)? {
        var text = yaml
        var originals: [String: String] = [:]
        var pending = (key: key, mark: first)
        // The private use area (U+E000…U+F8FF) bounds the renames.
        for code in UInt32(0xE000)...0xF8FF {
            guard let (renamed, name) = Self.rename(pending.key, at: pending.mark, in: text, to: Unicode.Scalar(code)!) else { return nil }
            text = renamed
            originals[name] = pending.key
            do {
                guard let root = try Yams.compose(yaml: text) else { return nil }
                return find(in: root, path: "", originals: originals)
            } catch YamlError.duplicatedKeysInMapping(let duplicates, let context) {
                guard let next = duplicates.first else { return nil }
                pending = (next, context.mark)
            } catch {
                return nil
            }
        }
        return nil
    }

    /// The key in the mapping that holds the first occurrence, after it, whose
    /// original name is ``key``; searched depth first from `node`.
    private func find(in node: Node, path: String, originals: [String: String]) -> (mark: Mark, path: String)? {
        let original = { (node: Node) in node.string.map { originals[$0] ?? $0 } }
        let child = { (name: String) in path.isEmpty ? name : "\(path).\(name)" }
        switch node {
        case .mapping(let mapping):
            let keys = Array(mapping.keys)
            if let i = keys.firstIndex(where: { $0.mark?.line == first.line && $0.mark?.column == first.column }) {
                guard let second = keys[(i + 1)...].first(where: { original($0) == key }), let mark = second.mark else { return nil }
                return (mark, child(key))
            }
            for (k, value) in mapping {
                if let found = find(in: value, path: child(original(k) ?? "?"), originals: originals) { return found }
            }
        case .sequence(let sequence):
            for (i, item) in sequence.enumerated() {
                if let found = find(in: item, path: "\(path)[\(i)]", originals: originals) { return found }
            }
        case .scalar, .alias:
            break
        }
        return nil
    }

    /// `text` with the first character of `key`, written at `mark` (plain or
    /// after a quote), replaced by `scalar`; and the key's new name.
    private static func rename(_ key: String, at mark: Mark, in text: String, to scalar: Unicode.Scalar) -> (String, String)? {
        var scalars = Array(text.unicodeScalars)
        var line = 1, i = 0
        while line < mark.line, i < scalars.count {
            if scalars[i] == "\n" { line += 1 }
            i += 1
        }
        i += mark.column - 1
        if i < scalars.count, scalars[i] == "\"" || scalars[i] == "'" { i += 1 }
        let keyScalars = Array(key.unicodeScalars)
        guard !keyScalars.isEmpty, i + keyScalars.count <= scalars.count, Array(scalars[i..<(i + keyScalars.count)]) == keyScalars else {
            return nil
        }
        scalars[i] = scalar
        var renamed = String.UnicodeScalarView()
        renamed.append(contentsOf: scalars)
        var name = String.UnicodeScalarView()
        name.append(scalar)
        name.append(contentsOf: keyScalars.dropFirst())
        return (String(renamed), String(name))
    }
}
