/// The features of one entity, as read by a ``FeatureReader``: typed
/// accessors by position (fastest) or by name, and a status per feature.
///
/// Reading a row gathers, in one pass, the status of every feature and the
/// value of every fixed-width one (`int64`, `float64`, `bool`, `timestamp`)
/// into one small array — the only allocation of a read — so that the
/// memory loads of all features overlap instead of waiting for each other.
/// Strings, bytes and vectors stay in the cache's immutable columns until
/// they are asked for. Typed accessors return `nil` for a missing or null
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

    /// One feature's answer, gathered when the row is read.
    struct Cell: Sendable {
        /// The value's bits (`Double.bitPattern`, `Int64` bits, 0 or 1 for a
        /// bool) for fixed-width types, the winning row for the others.
        let bits: UInt64
        let status: FeatureStatus
    }

    let plan: RetrievalPlan
    /// The answer of the first view version of the plan.
    let first: Hit
    /// The answers of the other view versions, in plan order.
    let rest: [Hit]
    /// One cell per feature, in plan order.
    let cells: [Cell]

    /// The row of `first` and `rest`, with every feature's cell gathered.
    init(plan: RetrievalPlan, first: Hit, rest: [Hit]) {
        self.plan = plan
        self.first = first
        self.rest = rest
        let count = plan.slots.count
        cells = [Cell](unsafeUninitializedCapacity: count) { cells, initialized in
            plan.slots.withUnsafeBufferPointer { slots in
                FeatureRow.gather(first, part: 0, slots: slots, into: cells)
                for (p, hit) in rest.enumerated() { FeatureRow.gather(hit, part: p + 1, slots: slots, into: cells) }
            }
            initialized = count
        }
    }

    /// Fills the cells of the features of `part`, answered by `hit`.
    ///
    /// The columns are read through a buffer pointer so that no ``Column``
    /// is copied (and no reference count touched) between the loads, which
    /// can then all be in flight at once.
    @inline(__always)
    private static func gather(_ hit: Hit, part: Int, slots: UnsafeBufferPointer<RetrievalPlan.Slot>,
                               into cells: UnsafeMutableBufferPointer<Cell>) {
        guard case .row(let row) = hit.match else {
            let status: FeatureStatus = hit.match == .notFound ? .notFound : .outsideMaxAge
            for i in slots.indices where slots[i].part == part { (cells.baseAddress! + i).initialize(to: Cell(bits: 0, status: status)) }
            return
        }
        hit.columns.withUnsafeBufferPointer { columns in
            for i in slots.indices where slots[i].part == part {
                let f = slots[i].feature
                let cell: Cell
                if !columns[f].validity[row] {
                    cell = Cell(bits: 0, status: .nullValue)
                } else {
                    switch slots[i].type {
                    case .float64: cell = Cell(bits: columns[f].doubles[row].bitPattern, status: .present)
                    case .int64, .timestamp: cell = Cell(bits: UInt64(bitPattern: columns[f].ints[row]), status: .present)
                    case .bool: cell = Cell(bits: columns[f].bools[row] ? 1 : 0, status: .present)
                    case .string, .bytes, .vector: cell = Cell(bits: UInt64(row), status: .present)
                    }
                }
                (cells.baseAddress! + i).initialize(to: cell)
            }
        }
    }

    /// The number of features.
    public var count: Int { plan.slots.count }

    /// The feature names, `feature` or `view__feature`, in request order.
    public var featureNames: [String] { plan.names }

    /// The position of the feature named `name` (`feature` or
    /// `view__feature`), or `nil` when there is none or it is ambiguous.
    public func position(of name: String) -> Int? { plan.positions[name] }

    /// The status of feature `index`.
    public func status(at index: Int) -> FeatureStatus { cells[index].status }

    /// The status of the feature named `name`.
    public func status(_ name: String) -> FeatureStatus { status(at: locate(name)) }

    /// The value of `float64` feature `index`, or `nil`.
    public func double(at index: Int) -> Double? {
        cell(index, .float64).map { Double(bitPattern: $0) }
    }

    /// The value of the `float64` feature named `name`, or `nil`.
    public func double(_ name: String) -> Double? { double(at: locate(name)) }

    /// The value of `int64` or `timestamp` feature `index` (timestamps in µs
    /// since the epoch), or `nil`.
    public func int64(at index: Int) -> Int64? {
        cell(index, .int64, or: .timestamp).map { Int64(bitPattern: $0) }
    }

    /// The value of the `int64` or `timestamp` feature named `name`, or `nil`.
    public func int64(_ name: String) -> Int64? { int64(at: locate(name)) }

    /// The value of `bool` feature `index`, or `nil`.
    public func bool(at index: Int) -> Bool? {
        cell(index, .bool).map { $0 != 0 }
    }

    /// The value of the `bool` feature named `name`, or `nil`.
    public func bool(_ name: String) -> Bool? { bool(at: locate(name)) }

    /// The value of `string` feature `index`, or `nil`.
    public func string(at index: Int) -> String? {
        cell(index, .string).map { hit(plan.slots[index].part).columns[plan.slots[index].feature].string(Int($0)) }
    }

    /// The value of the `string` feature named `name`, or `nil`.
    public func string(_ name: String) -> String? { string(at: locate(name)) }

    /// The value of `bytes` feature `index`, or `nil`.
    public func bytes(at index: Int) -> [UInt8]? {
        cell(index, .bytes).map { Array(hit(plan.slots[index].part).columns[plan.slots[index].feature].byteSlice(Int($0))) }
    }

    /// The value of the `bytes` feature named `name`, or `nil`.
    public func bytes(_ name: String) -> [UInt8]? { bytes(at: locate(name)) }

    /// The value of `vector` feature `index`, or `nil`.
    public func vector(at index: Int) -> [Float]? {
        guard case .vector(let n) = plan.slots[index].type else {
            preconditionFailure("feature \(plan.names[index]) is \(plan.slots[index].type), not a vector")
        }
        return cell(index, .vector(dimension: n)).map { bits in
            let row = Int(bits)
            return Array(hit(plan.slots[index].part).columns[plan.slots[index].feature].floats[(row * n)..<((row + 1) * n)])
        }
    }

    /// The value of the `vector` feature named `name`, or `nil`.
    public func vector(_ name: String) -> [Float]? { vector(at: locate(name)) }

    /// The value of feature `index` as a ``FeatureValue`` (convenient, not fast).
    public func value(at index: Int) -> FeatureValue {
        let slot = plan.slots[index]
        guard case .row(let row) = hit(slot.part).match else { return .null }
        return hit(slot.part).columns[slot.feature].value(row)
    }

    /// The value of the feature named `name` as a ``FeatureValue``.
    public func value(_ name: String) -> FeatureValue { value(at: locate(name)) }

    // MARK: Access

    private func hit(_ part: Int) -> Hit {
        part == 0 ? first : rest[part - 1]
    }

    /// The bits of feature `index` when it holds a value; traps when the
    /// feature is neither of type `type` nor `other`.
    @inline(__always)
    private func cell(_ index: Int, _ type: FeatureType, or other: FeatureType? = nil) -> UInt64? {
        let slot = plan.slots[index]
        precondition(slot.type == type || slot.type == other, "feature \(plan.names[index]) is \(slot.type), not \(type)")
        let cell = cells[index]
        return cell.status == .present ? cell.bits : nil
    }

    private func locate(_ name: String) -> Int {
        guard let index = plan.positions[name] else {
            preconditionFailure("no feature named \"\(name)\" in this row (features: \(plan.names.joined(separator: ", ")))")
        }
        return index
    }
}
