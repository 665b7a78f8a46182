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

    /// `value` with line ends, tabs and NUL characters escaped, cut to about 60 characters
    /// when it is long, so that one problem is one line.
    static func shorten(_ value: String) -> String {
        var escaped = ""
        for c in value.unicodeScalars.prefix(value.utf8.count > 80 ? 60 : 80) {
            switch c {
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case "\0": escaped += "\\0"
            default: escaped.unicodeScalars.append(c)
            }
        }
        return value.utf8.count > 80 ? escaped + "…(\(value.utf8.count) bytes)" : escaped
    }
}

/// Every error Larder reports: a ``Category`` that each client maps in one
/// table (the CLI to exit codes, a server to HTTP statuses, Python to
/// exception classes), a message a user can act on, the file it concerns,
/// and, for refused input data, the problem lines.
///
/// ```swift
/// do { try store.backfill(view: "driver_stats", input: .file("stats.csv")) }
/// catch let error where error.category == .invalidInput {
///     for problem in error.problems { print(problem) }  // FILE:LINE: column C: value "V": reason
/// }
/// ```
public struct LarderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure an error is. New categories may be added: match
    /// the ones you handle and treat the others as ``storage``.
    public struct Category: Hashable, Sendable, CustomStringConvertible {
        /// The category's name, in snake case (`invalid_input`).
        public let name: String

        /// Input that cannot be used as given: data that fails validation, a
        /// definitions mistake, a malformed reference, time or argument.
        public static let invalidInput = Category(name: "invalid_input")
        /// A view, version, feature, feature set or entity that does not exist.
        public static let notFound = Category(name: "not_found")
        /// A request refused because of what is already there: an output that
        /// would replace the store or an input, a version that a feature set
        /// pins, a store that no longer gives a manifest's result.
        public static let conflict = Category(name: "conflict")
        /// The store itself: missing, damaged, read-only, full, too new, held
        /// by another writer past the busy timeout, or an SQLite failure.
        public static let storage = Category(name: "storage")
        /// Another file (an input or an output) cannot be read or written.
        public static let io = Category(name: "io")

        /// The category's name.
        public var description: String { name }
    }

    /// The kind of failure.
    public let category: Category
    /// What went wrong, naming the file, line, value or object concerned.
    public let message: String
    /// The file the error concerns, when there is one (the store, an input,
    /// an output, a definitions file).
    public let path: String?
    /// The line of ``path`` the error is at, when known (a definitions mistake).
    public let line: Int?
    /// For refused input data: the first 20 problems, in input order.
    public let problems: [ValidationProblem]
    /// For refused input data: how many problems there were in all.
    public let totalProblems: Int

    /// An error of `category` with `message`, concerning `path`.
    package init(_ category: Category, _ message: String, path: String? = nil, line: Int? = nil,
                 problems: [ValidationProblem] = [], totalProblems: Int = 0) {
        self.category = category
        self.message = message
        self.path = path
        self.line = line
        self.problems = problems
        self.totalProblems = totalProblems
    }

    /// The message, then one line per problem.
    public var description: String {
        ([message] + problems.map(\.description)).joined(separator: "\n")
    }

    // MARK: The errors Larder raises

    /// Input that cannot be used as given.
    package static func invalidInput(_ message: String) -> LarderError { LarderError(.invalidInput, message) }

    /// An object that does not exist.
    package static func notFound(_ message: String) -> LarderError { LarderError(.notFound, message) }

    /// A request refused because of what is already there.
    package static func conflict(_ message: String) -> LarderError { LarderError(.conflict, message) }

    /// A file other than the store that cannot be read or written.
    package static func io(path: String, message: String) -> LarderError { LarderError(.io, "\(path): \(message)", path: path) }

    /// A problem with the store at `path`.
    package static func storage(path: String, message: String) -> LarderError { LarderError(.storage, "\(path): \(message)", path: path) }

    /// A name that breaks the identifier rules; `reason` says which and why.
    package static func invalidIdentifier(_ name: String, reason: String) -> LarderError { LarderError(.invalidInput, reason) }

    /// A mistake in a definitions file, at `file:line`, under `key` (empty
    /// for a YAML syntax error).
    package static func definitions(file: String, line: Int, key: String, message: String) -> LarderError {
        LarderError(.invalidInput, "\(file):\(line): \(key.isEmpty ? "" : "\(key): ")\(message)", path: file, line: line)
    }

    /// Input data refused: the first 20 `problems` of `total`; nothing was written.
    package static func validation(problems: [ValidationProblem], total: Int) -> LarderError {
        rejected("input", problems: problems, total: total, outcome: "; nothing was written")
    }

    /// A spine refused: the first 20 `problems` of `total`. Nothing is
    /// retrieved (and no output file appears).
    package static func spineRejected(problems: [ValidationProblem], total: Int) -> LarderError {
        rejected("spine", problems: problems, total: total, outcome: "")
    }

    /// `what` refused for `problems` (the first of `total`): "`what` rejected: N problems (first K shown)`outcome`".
    private static func rejected(_ what: String, problems: [ValidationProblem], total: Int, outcome: String) -> LarderError {
        let shown = total > problems.count ? " (first \(problems.count) shown)" : ""
        return LarderError(.invalidInput, "\(what) rejected: \(total) problem\(total == 1 ? "" : "s")\(shown)\(outcome)",
                           path: problems.first?.file, problems: problems, totalProblems: total)
    }

    /// A store written by a newer Larder.
    package static func storeTooNew(path: String, storeVersion: Int, supportedVersion: Int) -> LarderError {
        .storage(path: path, message: "the store has schema version \(storeVersion), but this Larder supports up to \(supportedVersion); upgrade Larder to open it")
    }

    /// A store holding something Larder could not have written (a registry
    /// row with an unknown type, bad JSON, a bad name or a dangling
    /// reference); `message` names the table, the row and the column.
    package static func corruptStore(path: String, message: String) -> LarderError {
        .storage(path: path, message: "corrupt store: \(message)")
    }
}
