/// The problems found in one run's input: the first 20 in full, a count of
/// all, and which rows of the current batch are bad.
package struct ProblemLog: Sendable {
    /// How many problems are listed in full.
    static let listed = 20

    /// The first ``listed`` problems.
    private(set) var problems: [ValidationProblem] = []
    /// Every problem found.
    private(set) var total = 0
    /// Rows of the current batch with at least one problem.
    package var badRows = Bitmap()
    /// The reasons for each bad row of the current batch, for the reject file.
    var reasons: [Int: [String]] = [:]
    /// Problems with a feature's value, by the feature's index and the rule
    /// that refused it: what the run's statistics record as rejected rows.
    private(set) var refusals: [FeatureRule: Int] = [:]

    /// Records a problem with row `row` of the current batch (nil for a record
    /// that never became a row); `rule` names the feature and rule, when the
    /// problem is with a feature's value.
    package mutating func add(_ problem: ValidationProblem, row: Int?, rule: FeatureRule? = nil) {
        total += 1
        if problems.count < Self.listed { problems.append(problem) }
        if let row {
            badRows[row] = true
            reasons[row, default: []].append(problem.description)
        }
        if let rule { refusals[rule, default: 0] += 1 }
    }

    /// Starts a new batch of `rows` rows.
    mutating func startBatch(rows: Int) {
        badRows = Bitmap(repeating: false, count: rows)
        reasons.removeAll(keepingCapacity: true)
    }

    /// Makes the batch `rows` rows longer (rows typed into it after the
    /// others; none of them bad yet).
    mutating func extendBatch(rows: Int) {
        for _ in 0..<rows { badRows.append(false) }
    }

    /// Adds the problems of `other` (another batch's log); the bad rows stay
    /// those of this log's batch.
    mutating func merge(_ other: ProblemLog) {
        for problem in other.problems where problems.count < Self.listed { problems.append(problem) }
        total += other.total
        refusals.merge(other.refusals, uniquingKeysWith: +)
    }

    /// This batch's log with rows renumbered for a batch reordered by
    /// `order` (new row `i` is old row `order[i]`); rows that `order` leaves
    /// out are dropped.
    func gathered(_ order: [Int]) -> ProblemLog {
        var out = self
        out.badRows = Bitmap(repeating: false, count: order.count)
        guard !reasons.isEmpty else { return out }
        var position = [Int](repeating: -1, count: badRows.count)
        for (i, old) in order.enumerated() { position[old] = i }
        out.reasons = [:]
        for (old, why) in reasons where position[old] >= 0 {
            out.badRows[position[old]] = true
            out.reasons[position[old]] = why
        }
        return out
    }

    /// The validation error for everything found.
    var error: LarderError { .validation(problems: problems, total: total) }
}

/// A rule that refused a feature's value: the feature's index in its view
/// version and the rule's name (``FeatureStatistics/rejectionRules``).
package struct FeatureRule: Hashable, Sendable {
    /// The feature's index.
    var feature: Int
    /// The rule: `type`, `missing`, `not_null`, `min`, `max`, `allowed` or `allow_nan`.
    var rule: String
}
