/// The requested features of one retrieval, grouped by view version, with
/// their output names: resolved once, then used for every row.
final class RetrievalPlan: Sendable {
    /// One view version the retrieval reads.
    struct Part: Sendable {
        /// The view version.
        let view: FeatureView
        /// The view version's id and creation time (its cache identity).
        let id: Int64, createdAt: Int64

        init(view: FeatureView) {
            self.view = view
            id = view.id
            createdAt = view.createdAt.microseconds
        }

        /// Columns to collect winning rows into: one per feature of the view.
        func emptyColumns(capacity: Int = 0) -> [Column] {
            view.features.map { Column(type: $0.type, capacity: capacity) }
        }
    }

    /// Where an output feature comes from.
    struct Slot: Sendable {
        /// The index of its view version in ``RetrievalPlan/parts``.
        let part: Int
        /// The feature's position in the view.
        let feature: Int
        /// The feature's type.
        let type: FeatureType
        /// The feature's validity bit and first word in the latest-row
        /// record of a cached key (see ``RecordLayout``); -1 when the record
        /// does not hold it.
        let recordBit: Int, recordWord: Int

        init(part: Int, feature: Int, type: FeatureType, layout: RecordLayout) {
            self.part = part
            self.feature = feature
            self.type = type
            recordBit = layout.bit[feature] ?? -1
            recordWord = layout.word[feature] ?? -1
        }
    }

    /// The output names, one per requested feature.
    let names: [String]
    /// The distinct view versions, in order of first request.
    let parts: [Part]
    /// One per requested feature, in request order.
    let slots: [Slot]
    /// Output positions by short name (`feature`) and full name
    /// (`view__feature`), where the name is unambiguous (prepared plans only).
    let positions: [String: Int]

    /// A plan for `features`, named `feature`, or `view__feature` with
    /// `fullNames`. A `prepared` plan (a reader's, used for many reads) also
    /// finds the positions of names up front.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when two features get the same name.
    init(_ features: [ResolvedFeature], fullNames: Bool, prepared: Bool = false) throws(LarderError) {
        var parts: [Part] = []
        var layouts: [RecordLayout] = []
        var partOfView: [Int64: Int] = [:]
        var slots: [Slot] = []
        var names: [String] = []
        var seen: Set<String> = []
        for resolved in features {
            let name = fullNames ? "\(resolved.view.name)__\(resolved.feature.name)" : resolved.feature.name
            if !seen.insert(name).inserted {
                let other = features[names.firstIndex(of: name)!].reference
                throw .invalidInput("two requested features are named \"\(name)\" (\(other) and \(resolved.reference))"
                    + (fullNames ? "; request each feature once" : "; use full names (view__feature) to tell them apart"))
            }
            let part: Int
            if let known = partOfView[resolved.view.id] {
                part = known
            } else {
                part = parts.count
                partOfView[resolved.view.id] = part
                parts.append(Part(view: resolved.view))
                layouts.append(RecordLayout(resolved.view.features.map(\.type)))
            }
            slots.append(Slot(part: part, feature: resolved.index, type: resolved.feature.type, layout: layouts[part]))
            names.append(name)
        }
        var positions: [String: Int] = [:]
        var ambiguous: Set<String> = []
        for (i, resolved) in features.enumerated() where prepared {
            for name in [resolved.feature.name, "\(resolved.view.name)__\(resolved.feature.name)"] {
                if positions.updateValue(i, forKey: name) != nil { ambiguous.insert(name) }
            }
        }
        for name in ambiguous { positions[name] = nil }
        self.names = names
        self.parts = parts
        self.slots = slots
        self.positions = positions
    }

    /// The join keys every part shares: what one key looks up.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the views have different join keys.
    func sharedJoinKeys() throws(LarderError) -> [JoinKey] {
        let keys = parts.first?.view.joinKeys ?? []
        if let other = parts.first(where: { $0.view.joinKeys != keys }) {
            throw .invalidInput("\(parts[0].view.qualifiedName) and \(other.view.qualifiedName) have different join keys"
                + " (\(Retrieval.describe(keys)) and \(Retrieval.describe(other.view.joinKeys))); look them up separately")
        }
        return keys
    }
}

/// The answers of one view version for every row of a retrieval: the
/// columns the winning rows are in, and one answer per row.
///
/// Answers are stored compactly, four bytes a row: the winning row's index
/// (numbered across a cached view's base and delta segments, see
/// ``CachedView``), or a negative code for a miss (``notFound``,
/// ``outsideMaxAge``). Gathering reads them one feature at a time (see
/// ``Column/gather(type:from:rows:)``).
struct PartAnswer: Sendable {
    /// One column per feature of the view: a cached view's base columns,
    /// or the rows fetched from SQLite.
    var columns: [StoredColumn]
    /// The columns of a cached view's delta segments, one list per
    /// segment, rows numbered from its start in ``starts`` on.
    var deltas: [[StoredColumn]]
    /// The first row number of each of ``deltas``.
    var starts: [Int]
    /// The first row number not in ``columns``.
    var split: Int
    /// For each row, the winning row, or a miss code.
    var rows: [Int32]
    /// Where the winners' event times are: the cached view, or the times
    /// of the rows fetched from SQLite, one per row of ``columns``.
    private let times: EventTimes

    private enum EventTimes: Sendable {
        case cached(CachedView)
        case fetched([Int64])
    }

    /// Answers read from `columns` (no delta), fetched with event times `eventTimes`.
    init(columns: [StoredColumn], eventTimes: [Int64], rows: [Int32]) {
        self.columns = columns
        deltas = []
        starts = []
        split = .max
        self.rows = rows
        times = .fetched(eventTimes)
    }

    /// Answers read from `cached`.
    init(cached: CachedView, rows: [Int32]) {
        columns = cached.base.features
        deltas = cached.deltas.map(\.features)
        starts = cached.starts
        split = cached.deltas.isEmpty ? .max : cached.split
        self.rows = rows
        times = .cached(cached)
    }

    /// The event time of row `row`'s winner, `nil` on a miss.
    func eventTime(_ row: Int) -> Timestamp? {
        let winner = Int(rows[row])
        guard winner >= 0 else { return nil }
        switch times {
        case .fetched(let times): return Timestamp(microseconds: times[winner])
        case .cached(let view):
            let (snapshot, local) = view.locate(winner)
            return Timestamp(microseconds: snapshot.eventTimes[local])
        }
    }

    /// The code of a miss whose key has no row visible at the horizon.
    static let notFound: Int32 = -1
    /// The code of a miss whose key has rows, none within the window.
    static let outsideMaxAge: Int32 = -2

    /// The compact form of `match`.
    @inline(__always) static func code(_ match: PointInTime.Match) -> Int32 {
        switch match {
        case .row(let row): Int32(row)
        case .notFound: notFound
        case .outsideMaxAge: outsideMaxAge
        }
    }

    /// The match that `code` stands for.
    @inline(__always) static func match(_ code: Int32) -> PointInTime.Match {
        switch code {
        case notFound: .notFound
        case outsideMaxAge: .outsideMaxAge
        default: .row(Int(code))
        }
    }

    /// The column of feature `feature`: the value of each row's winner, or null.
    func gathering(feature: Int) -> Column {
        let sources = GatherSources(columns[feature].buffers, later: deltas.map { $0[feature].buffers }, starts: starts)
        return Column.gather(type: columns[feature].type, from: sources, rows: rows)
    }

    /// The status of feature `feature` in row `row` of the answer.
    @inline(__always) func status(_ row: Int, feature: Int) -> FeatureStatus {
        switch rows[row] {
        case PartAnswer.notFound: return .notFound
        case PartAnswer.outsideMaxAge: return .outsideMaxAge
        case let winner:
            return isValid(Int(winner), feature: feature) ? .present : .nullValue
        }
    }

    /// Whether row `winner` (numbered across the parts) holds a value of feature `feature`.
    @inline(__always) private func isValid(_ winner: Int, feature: Int) -> Bool {
        if winner < split { return columns[feature].isValid(winner) }
        var segment = starts.count - 1
        while starts[segment] > winner { segment -= 1 }
        return deltas[segment][feature].isValid(winner - starts[segment])
    }
}

/// The steps of a retrieval, shared by historical, entity-less and online
/// retrieval: key columns from the input, the rule per row, then gathering.
enum Retrieval {
    /// `(driver_id int64, city string)`.
    static func describe(_ keys: [JoinKey]) -> String {
        "(" + keys.map { "\($0.name) \($0.type)" }.joined(separator: ", ") + ")"
    }

    /// The columns of `frame` that hold `view`'s join keys, in join key order.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when one is missing, has the wrong
    ///   type or the wrong number of rows.
    static func keyColumns(of view: FeatureView, in frame: FeatureFrame, rows: Int) throws(LarderError) -> [Column] {
        var columns: [Column] = []
        for key in view.joinKeys {
            guard let column = frame[key.name] else {
                throw .invalidInput("no column \"\(key.name)\" (join key of \(view.qualifiedName)) in the input; it has \(frame.names.joined(separator: ", "))")
            }
            guard column.type == key.type.featureType else {
                throw .invalidInput("column \"\(key.name)\" is \(column.type), but the join key \(key.name) of \(view.qualifiedName) is \(key.type)")
            }
            guard column.count == rows else {
                throw .invalidInput("column \"\(key.name)\" has \(column.count) rows, not \(rows)")
            }
            columns.append(column)
        }
        return columns
    }

    /// Whether any join key of row `row` is null (such a row matches nothing).
    @inline(__always) static func hasNullKey(_ keys: [Column], _ row: Int) -> Bool {
        for key in keys where !key.validity[row] { return true }
        return false
    }

    /// The rule over a cached view for every row of `keys` at `times`: over
    /// its base, then over each of its delta segments, combined row by row.
    static func answer(_ cached: CachedView, keys: [Column], times: [Int64], horizon: PointInTime.Horizon) -> PartAnswer {
        var rows = matches(cached.base, keys: keys, times: times, horizon: horizon)
        for (segment, delta) in cached.deltas.enumerated() {
            let inDelta = matches(delta, keys: keys, times: times, horizon: horizon)
            for row in times.indices {
                rows[row] = PartAnswer.code(PointInTime.combine(PartAnswer.match(rows[row]), PartAnswer.match(inDelta[row]),
                                                                segment: segment, in: cached))
            }
        }
        return PartAnswer(cached: cached, rows: rows)
    }

    /// The rule over one snapshot for every row of `keys` at `times`, as
    /// ``PartAnswer`` codes of the snapshot's rows.
    ///
    /// Two passes, each a loop whose iterations do not depend on one
    /// another, so that the processor overlaps the cache misses of many
    /// rows: the first finds each row's key in the index (a single `int64`
    /// join key, the common case, probed straight from its column), the
    /// second applies the rule within the key's rows. Each pass prefetches
    /// what later rows will read, in two steps (what a row's first read
    /// needs ``Prefetch/distance`` × 2 rows ahead, what its second read
    /// needs ``Prefetch/distance`` rows ahead), because over a large view
    /// every read is a cache miss. A large spine is split over the cores
    /// (see ``Parallel``).
    ///
    /// - Complexity: O(n log r) for n rows and r rows per key.
    static func matches(_ snapshot: ViewSnapshot, keys: [Column], times: [Int64], horizon: PointInTime.Horizon) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: times.count) { out, initialized in
            let target = out
            Parallel.forEachChunk(of: times.count) { rows in
                matches(snapshot, keys: keys, times: times, horizon: horizon, rows: rows, into: target)
            }
            initialized = times.count
        }
    }

    /// ``matches(_:keys:times:horizon:)`` for `rows`, written to the same
    /// rows of `out`.
    private static func matches(_ snapshot: ViewSnapshot, keys: [Column], times: [Int64], horizon: PointInTime.Horizon,
                                rows: Range<Int>, into out: UnsafeMutableBufferPointer<Int32>) {
        let index = snapshot.keys
        let first = rows.lowerBound, end = rows.upperBound
        let d = Prefetch.distance
        // Each row's key position, or -1 when the key is null or not in the view.
        let positions = [Int32](unsafeUninitializedCapacity: rows.count) { positions, initialized in
            if keys.count == 1, keys[0].type == .int64 {
                let key = keys[0]
                key.ints.withUnsafeBufferPointer { ints in
                    // Pipelined: the slot of row + 2d and the stored key of row + d are prefetched.
                    for row in first..<min(end, first + 2 * d) { index.prefetchSlot(of: Int64Key(value: ints[row])) }
                    for row in rows {
                        if row + 2 * d < end { index.prefetchSlot(of: Int64Key(value: ints[row + 2 * d])) }
                        if row + d < end { index.prefetchStoredKey(of: Int64Key(value: ints[row + d])) }
                        let position = key.validity[row] ? index.position(of: Int64Key(value: ints[row])) : nil
                        positions[row - first] = position.map(Int32.init) ?? -1
                    }
                }
            } else {
                for row in rows {
                    let position = hasNullKey(keys, row) ? nil : index.position(of: ColumnsKey(columns: keys, row: row))
                    positions[row - first] = position.map(Int32.init) ?? -1
                }
            }
            initialized = rows.count
        }
        positions.withUnsafeBufferPointer { positions in
            let n = positions.count
            // Pipelined: the entry of row + 2d and the event times of row + d are prefetched.
            for i in 0..<min(n, 2 * d) where positions[i] >= 0 { index.prefetchEntry(at: Int(positions[i])) }
            for i in 0..<n {
                if i + 2 * d < n, positions[i + 2 * d] >= 0 { index.prefetchEntry(at: Int(positions[i + 2 * d])) }
                if i + d < n, positions[i + d] >= 0 { snapshot.prefetchEvents(of: index.entry(at: Int(positions[i + d]))) }
                let position = Int(positions[i])
                let entry = position >= 0 ? index.entry(at: position) : nil
                out[first + i] = PartAnswer.code(PointInTime.match(entry, at: times[first + i], in: snapshot, horizon: horizon))
            }
        }
    }

    /// The rule answered by the storage engine for every row of `keys` at
    /// `times` (``RuleSource/matches(_:at:asOf:in:into:eventTimes:status:)``).
    /// With `status` false misses are not told apart (historical retrieval
    /// has no statuses).
    static func answer(_ part: RetrievalPlan.Part, from source: some RuleSource, keys: [Column], times: [Int64], asOf: Int64,
                       status: Bool) throws -> PartAnswer {
        var columns = part.emptyColumns()
        var eventTimes: [Int64] = []
        let matches = try source.matches(keys, at: times, asOf: asOf, in: part.view, into: &columns, eventTimes: &eventTimes, status: status)
        return PartAnswer(columns: columns.map(StoredColumn.init(copying:)), eventTimes: eventTimes, rows: matches.map(PartAnswer.code))
    }

    /// One output column per requested feature: the winning row's value, or
    /// null on a miss, gathered one feature at a time (features spread over
    /// the cores for a large answer).
    static func featureColumns(_ plan: RetrievalPlan, _ answers: [PartAnswer]) -> [Column] {
        let rows = answers.first?.rows.count ?? 0
        var columns = [Column?](repeating: nil, count: plan.slots.count)
        columns.withUnsafeMutableBufferPointer { columns in
            let out = columns
            Parallel.forEach(plan.slots.count, parallel: rows >= Parallel.minimumChunk) { i in
                out[i] = answers[plan.slots[i].part].gathering(feature: plan.slots[i].feature)
            }
        }
        return columns.map { $0! }
    }

    /// One event time per row for each requested feature (its winner's, `nil` on a miss).
    static func eventTimes(_ plan: RetrievalPlan, _ answers: [PartAnswer]) -> [[Timestamp?]] {
        plan.slots.map { slot in
            let answer = answers[slot.part]
            return answer.rows.indices.map { answer.eventTime($0) }
        }
    }

    /// One status per row for each requested feature.
    static func statuses(_ plan: RetrievalPlan, _ answers: [PartAnswer]) -> [[FeatureStatus]] {
        plan.slots.map { slot in
            let answer = answers[slot.part]
            return answer.rows.indices.map { answer.status($0, feature: slot.feature) }
        }
    }

    /// The distinct keys of `cached` with a row visible under `horizon`,
    /// ascending, one column per join key.
    static func visibleKeys(_ cached: CachedView, horizon: PointInTime.Horizon) -> [Column] {
        cached.deltas.reduce(visibleKeys(cached.base, horizon: horizon)) { union($0, visibleKeys($1, horizon: horizon)) }
    }

    /// The distinct keys of `snapshot` with a row visible under `horizon`.
    private static func visibleKeys(_ snapshot: ViewSnapshot, horizon: PointInTime.Horizon) -> [Column] {
        let index = snapshot.keys
        if horizon.seesEveryRun { return index.keys.map { $0.copied() } }
        var columns = index.keys.map { Column(type: $0.type) }
        for position in 0..<index.count where index.rows(of: position).contains(where: { horizon.admits(snapshot.runIDs[$0]) }) {
            for c in columns.indices { columns[c].append(from: index.keys[c], row: position) }
        }
        return columns
    }

    /// The union of two ascending, distinct key sets, ascending.
    ///
    /// - Complexity: O(a + b).
    static func union(_ a: [Column], _ b: [Column]) -> [Column] {
        let countA = a.first?.count ?? 0, countB = b.first?.count ?? 0
        var out = a.map { Column(type: $0.type, capacity: countA + countB) }
        let types = a.map { $0.type == .int64 ? KeyType.int64 : .string }
        var i = 0, j = 0
        while i < countA || j < countB {
            let order = i == countA ? 1 : j == countB ? -1 : KeyIndex.compare(ColumnsKey(columns: a, row: i), ColumnsKey(columns: b, row: j), types: types)
            let (source, row) = order <= 0 ? (a, i) : (b, j)
            for c in out.indices { out[c].append(from: source[c], row: row) }
            if order <= 0 { i += 1 }
            if order >= 0 { j += 1 }
        }
        return out
    }
}
