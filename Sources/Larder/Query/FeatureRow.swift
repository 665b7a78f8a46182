/// The features of one entity, as read by a ``FeatureReader``: typed
/// accessors by position (fastest) or by name, and a status per feature.
///
/// A row refers to the cache's immutable columns rather than copying values
/// out, so building it allocates nothing when the reader's features come
/// from one cached view. Typed accessors return `nil` for a missing or null
/// value; asking for the wrong type (``double(at:)`` of an `int64` feature)
/// is a programming error and traps.
public struct FeatureRow: Sendable {
    /// Where one view version's answer is.
    struct Hit: Sendable {
        /// One column per feature of the view.
        let columns: [Column]
        /// The rule's answer, indexing into ``columns``.
        let match: PointInTime.Match
    }

    let plan: RetrievalPlan
    /// The answer of the first view version of the plan.
    let first: Hit
    /// The answers of the other view versions, in plan order.
    let rest: [Hit]

    /// The number of features.
    public var count: Int { plan.slots.count }

    /// The feature names, `feature` or `view__feature`, in request order.
    public var featureNames: [String] { plan.names }

    /// The position of the feature named `name` (`feature` or
    /// `view__feature`), or `nil` when there is none or it is ambiguous.
    public func position(of name: String) -> Int? { plan.positions[name] }

    /// The status of feature `index`.
    public func status(at index: Int) -> FeatureStatus {
        let slot = plan.slots[index]
        switch match(slot.part) {
        case .row(let row): return isValid(slot, row) ? .present : .nullValue
        case .notFound: return .notFound
        case .outsideMaxAge: return .outsideMaxAge
        }
    }

    /// The status of the feature named `name`.
    public func status(_ name: String) -> FeatureStatus { status(at: locate(name)) }

    /// The value of `float64` feature `index`, or `nil`.
    public func double(at index: Int) -> Double? {
        guard let (slot, row) = cell(index, .float64) else { return nil }
        return slot.part == 0 ? first.columns[slot.feature].doubles[row] : rest[slot.part - 1].columns[slot.feature].doubles[row]
    }

    /// The value of the `float64` feature named `name`, or `nil`.
    public func double(_ name: String) -> Double? { double(at: locate(name)) }

    /// The value of `int64` or `timestamp` feature `index` (timestamps in µs
    /// since the epoch), or `nil`.
    public func int64(at index: Int) -> Int64? {
        guard let (slot, row) = cell(index, .int64, or: .timestamp) else { return nil }
        return slot.part == 0 ? first.columns[slot.feature].ints[row] : rest[slot.part - 1].columns[slot.feature].ints[row]
    }

    /// The value of the `int64` or `timestamp` feature named `name`, or `nil`.
    public func int64(_ name: String) -> Int64? { int64(at: locate(name)) }

    /// The value of `bool` feature `index`, or `nil`.
    public func bool(at index: Int) -> Bool? {
        guard let (slot, row) = cell(index, .bool) else { return nil }
        return slot.part == 0 ? first.columns[slot.feature].bools[row] : rest[slot.part - 1].columns[slot.feature].bools[row]
    }

    /// The value of the `bool` feature named `name`, or `nil`.
    public func bool(_ name: String) -> Bool? { bool(at: locate(name)) }

    /// The value of `string` feature `index`, or `nil`.
    public func string(at index: Int) -> String? {
        guard let (slot, row) = cell(index, .string) else { return nil }
        return hit(slot.part).columns[slot.feature].string(row)
    }

    /// The value of the `string` feature named `name`, or `nil`.
    public func string(_ name: String) -> String? { string(at: locate(name)) }

    /// The value of `bytes` feature `index`, or `nil`.
    public func bytes(at index: Int) -> [UInt8]? {
        guard let (slot, row) = cell(index, .bytes) else { return nil }
        return Array(hit(slot.part).columns[slot.feature].byteSlice(row))
    }

    /// The value of the `bytes` feature named `name`, or `nil`.
    public func bytes(_ name: String) -> [UInt8]? { bytes(at: locate(name)) }

    /// The value of `vector` feature `index`, or `nil`.
    public func vector(at index: Int) -> [Float]? {
        guard case .vector(let n) = plan.slots[index].type else {
            preconditionFailure("feature \(plan.names[index]) is \(plan.slots[index].type), not a vector")
        }
        guard let (slot, row) = cell(index, .vector(dimension: n)) else { return nil }
        return Array(hit(slot.part).columns[slot.feature].floats[(row * n)..<((row + 1) * n)])
    }

    /// The value of the `vector` feature named `name`, or `nil`.
    public func vector(_ name: String) -> [Float]? { vector(at: locate(name)) }

    /// The value of feature `index` as a ``FeatureValue`` (convenient, not fast).
    public func value(at index: Int) -> FeatureValue {
        let slot = plan.slots[index]
        guard case .row(let row) = match(slot.part) else { return .null }
        return hit(slot.part).columns[slot.feature].value(row)
    }

    /// The value of the feature named `name` as a ``FeatureValue``.
    public func value(_ name: String) -> FeatureValue { value(at: locate(name)) }

    // MARK: Access
    //
    // The fast accessors read through `first` / `rest` in one expression, so
    // that no column is copied (and no reference count touched) on the way
    // to the value: the loads of several accessors can then overlap.

    @inline(__always) private func hit(_ part: Int) -> Hit {
        part == 0 ? first : rest[part - 1]
    }

    @inline(__always) private func match(_ part: Int) -> PointInTime.Match {
        part == 0 ? first.match : rest[part - 1].match
    }

    @inline(__always) private func isValid(_ slot: RetrievalPlan.Slot, _ row: Int) -> Bool {
        slot.part == 0 ? first.columns[slot.feature].validity[row] : rest[slot.part - 1].columns[slot.feature].validity[row]
    }

    /// The slot and row of feature `index` when it holds a value of `type`
    /// (or `other`); traps when the feature has another type.
    @inline(__always)
    private func cell(_ index: Int, _ type: FeatureType, or other: FeatureType? = nil) -> (RetrievalPlan.Slot, Int)? {
        let slot = plan.slots[index]
        precondition(slot.type == type || slot.type == other, "feature \(plan.names[index]) is \(slot.type), not \(type)")
        guard case .row(let row) = match(slot.part), isValid(slot, row) else { return nil }
        return (slot, row)
    }

    private func locate(_ name: String) -> Int {
        guard let index = plan.positions[name] else {
            preconditionFailure("no feature named \"\(name)\" in this row (features: \(plan.names.joined(separator: ", ")))")
        }
        return index
    }
}
