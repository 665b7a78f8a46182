/// One problem found in input data: where it is and why it was refused.
public struct ValidationProblem: Sendable, Equatable, CustomStringConvertible {
    /// The input file (`-` for stdin), or a label such as `write` for API input.
    public var file: String
    /// The 1-based line of the record in the file (the record's first line).
    public var line: Int
    /// The column (field name) the problem is in; empty for a whole-record problem.
    public var column: String
    /// The offending value as it appeared in the input (shortened when huge).
    public var value: String
    /// Why the value was refused.
    public var reason: String

    /// A problem at `file:line`, in `column`, with `value`.
    public init(file: String, line: Int, column: String, value: String, reason: String) {
        self.file = file
        self.line = line
        self.column = column
        self.value = ValidationProblem.shorten(value)
        self.reason = reason
    }

    /// `FILE:LINE: column COLUMN: value "VALUE": reason`.
    public var description: String {
        var text = "\(file):\(line):"
        if !column.isEmpty { text += " column \(column):" }
        text += " value \"\(value)\": \(reason)"
        return text
    }

    /// `value` with line ends and tabs escaped, cut to about 60 characters
    /// when it is long, so that one problem is one line.
    static func shorten(_ value: String) -> String {
        var escaped = ""
        for c in value.unicodeScalars.prefix(value.utf8.count > 80 ? 60 : 80) {
            switch c {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return value.utf8.count > 80 ? escaped + "…(\(value.utf8.count) bytes)" : escaped
    }
}

/// Every error Larder reports, with what a user needs to act on it.
///
/// ``exitCode`` maps each case to the CLI's exit status: 1 for user errors
/// (usage, definitions, validation), 2 for I/O and store errors.
public enum LarderError: Error, Sendable, CustomStringConvertible {
    /// A name breaks the identifier rules.
    case invalidIdentifier(String, reason: String)
    /// A mistake in a definitions file, at `file:line`, under `key` (empty
    /// for a YAML syntax error).
    case definitions(file: String, line: Int, key: String, message: String)
    /// Input data was refused; at most the first 20 problems are kept, and
    /// `total` counts them all.
    case validation(problems: [ValidationProblem], total: Int)
    /// A view, version, feature, feature set or entity that does not exist.
    case notFound(String)
    /// A request that cannot be carried out as asked.
    case usage(String)
    /// A file could not be read or written.
    case io(path: String, message: String)
    /// The store file was written by a newer Larder.
    case storeTooNew(path: String, storeVersion: Int, supportedVersion: Int)
    /// SQLite reported an error.
    case store(SQLiteError)
    /// The store holds something Larder could not have written (a registry
    /// row with an unknown type, bad JSON, a bad name or a dangling
    /// reference); `message` names the table, the row and the column.
    case corruptStore(path: String, message: String)

    /// The CLI exit status for this error: 1 user error, 2 I/O or store error.
    public var exitCode: Int32 {
        switch self {
        case .invalidIdentifier, .definitions, .validation, .notFound, .usage: 1
        case .io, .storeTooNew, .store, .corruptStore: 2
        }
    }

    public var description: String {
        switch self {
        case .invalidIdentifier(_, let reason): reason
        case .definitions(let file, let line, let key, let message): "\(file):\(line): \(key.isEmpty ? "" : "\(key): ")\(message)"
        case .validation(let problems, let total):
            (["input rejected: \(total) problem\(total == 1 ? "" : "s")\(total > problems.count ? " (first \(problems.count) shown)" : ""); nothing was written"]
                + problems.map(\.description)).joined(separator: "\n")
        case .notFound(let what): what
        case .usage(let message): message
        case .io(let path, let message): "\(path): \(message)"
        case .storeTooNew(let path, let storeVersion, let supported):
            "\(path): the store has schema version \(storeVersion), but this Larder supports up to \(supported); upgrade Larder to open it"
        case .store(let error): error.description
        case .corruptStore(let path, let message): "\(path): corrupt store: \(message)"
        }
    }
}
