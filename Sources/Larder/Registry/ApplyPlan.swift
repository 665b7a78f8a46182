/// What `apply` does (or would do, with `--dry-run`) to each object of a
/// definitions file.
public struct ApplyPlan: Sendable, CustomStringConvertible {
    /// The action for one object.
    public enum Action: Sendable, Equatable, CustomStringConvertible {
        /// The object is new (version 1 for views and sets).
        case create
        /// Only metadata (description, owner, tags, expectations) changes, in place.
        case updateMetadata
        /// The schema changed: a new version with this number is created.
        case newVersion(Int)
        /// An entity's join keys changed (their names, types or number): a
        /// schema change for every view of the entity, each of which gets a
        /// new version in the same apply.
        case changeJoinKeys
        /// Identical to what the store holds.
        case unchanged

        /// The text a user reads for this value.
        public var description: String {
            switch self {
            case .create: "create"
            case .updateMetadata: "update metadata"
            case .newVersion(let n): "new version \(n)"
            case .changeJoinKeys: "change join keys"
            case .unchanged: "unchanged"
            }
        }
    }

    /// One line of the plan.
    public struct Step: Sendable {
        /// `entity`, `feature view` or `feature set`.
        public var kind: String
        /// The object's name.
        public var name: String
        /// What happens to it.
        public var action: Action
        /// Extra detail (e.g. which features were added).
        public var detail: String
    }

    /// The steps, entities first, then views, then feature sets.
    public var steps: [Step] = []
    /// Whether anything would change.
    public var changesSomething: Bool { steps.contains { $0.action != .unchanged } }

    /// The text a user reads for this value.
    public var description: String {
        steps.map { step in
            "\(step.kind) \(step.name): \(step.action)" + (step.detail.isEmpty ? "" : " (\(step.detail))")
        }.joined(separator: "\n")
    }
}
