/// The problems found while reading a spine: the first
/// ``ProblemLog/listed`` of them, and how many there were in all.
struct SpineProblems {
    /// The spine's name in messages.
    let file: String
    /// The problems kept for the message.
    private(set) var listed: [ValidationProblem] = []
    /// How many problems were found.
    private(set) var total = 0

    /// Whether none was found.
    var isEmpty: Bool { total == 0 }

    /// The error naming them.
    var error: LarderError { .spineRejected(problems: listed, total: total) }

    /// Counts a problem at `line` (or row) of `column`, keeping it while fewer than ``ProblemLog/listed`` are kept.
    mutating func add(_ line: Int, _ column: String, _ value: String, _ reason: String) {
        total += 1
        if listed.count < ProblemLog.listed {
            listed.append(ValidationProblem(file: file, line: line, column: column, value: value, reason: reason))
        }
    }
}
