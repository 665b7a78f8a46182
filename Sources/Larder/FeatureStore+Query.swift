import Dispatch
import Synchronization

/// Reads: historical (training), entity-less (batch scoring) and online
/// (serving) retrieval, all through the one point-in-time rule (semantics §3).
///
/// Cached views are answered from the columnar cache (see ``FeatureCache``)
/// without holding the store's lock; the others from SQLite, with SQL that
/// states the same rule.
extension FeatureStore {
    // MARK: Historical retrieval

    /// The references a request names: a comma-separated list
    /// (`view:feature,view@2:feature,view:*`), or the pinned references of the
    /// latest version of a feature set; exactly one of the two.
    ///
    /// - Throws: ``LarderError/Category/invalidInput`` for a malformed list or
    ///   when both or neither are given; ``LarderError/Category/notFound`` for
    ///   an unknown feature set.
    public func featureReferences(_ list: String?, featureSet: String?) throws(LarderError) -> [FeatureReference] {
        switch (list, featureSet) {
        case (let list?, nil): return try FeatureReference.parseList(list)
        case (nil, let set?): return try registry.featureSet(set).features
        default: throw .invalidInput("give either a list of feature references or a feature set, not both or neither")
        }
    }

    /// Training data: for each spine row, the features as they were at the
    /// row's `event_timestamp`, seen from the horizon `asOf`.
    ///
    /// The spine holds the join key columns of every requested view's entity
    /// (`int64` columns for `int64` keys, `string` columns for `string` keys),
    /// an `event_timestamp` column (`timestamp` or `int64`, µs since the
    /// epoch, no nulls) and any other columns. The result has every spine
    /// column, unchanged and in order, then one column per requested feature
    /// named `feature` (or `view__feature` with `fullNames`), one row per
    /// spine row in spine order. A row whose key is null gets nulls.
    ///
    /// - Parameters:
    ///   - asOf: only runs committed at or before this time are seen; `nil`
    ///     means now.
    /// - Throws: ``LarderError/usage(_:)`` for a spine that lacks a join key
    ///   or `event_timestamp`, a column of the wrong type, or two features
    ///   with the same output name; ``LarderError/notFound(_:)`` for an
    ///   unknown view or feature.
    /// - Complexity: O(n · (v log r + f)) for n spine rows, v views, r rows
    ///   per key and f features, when the views are cached; one indexed SQLite
    ///   query per spine row and view otherwise.
    public func historicalFeatures(spine: FeatureFrame, features: [FeatureReference], asOf: Timestamp? = nil,
                                   fullNames: Bool = false) throws(LarderError) -> FeatureFrame {
        let plan = try plan(features, fullNames: fullNames)
        return try historical(spine: spine, plan: plan, asOf: asOf?.microseconds ?? Timestamp.nowMicroseconds(), statuses: false).frame
    }

    /// Batch scoring: every entity key with a row (visible at `asOf`) in the
    /// requested views, ascending, with its features at `time`.
    ///
    /// The result's columns are the join keys, `event_timestamp` (= `time`),
    /// then the features, named as in
    /// ``historicalFeatures(spine:features:asOf:fullNames:)``.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the views have different join
    ///   keys or two features the same output name; ``LarderError/notFound(_:)``
    ///   for an unknown view or feature.
    /// - Complexity: O(k · (v log r + f)) for k keys when the views are cached.
    public func historicalFeatures(at time: Timestamp, features: [FeatureReference], asOf: Timestamp? = nil,
                                   fullNames: Bool = false) throws(LarderError) -> FeatureFrame {
        let asOf = asOf?.microseconds ?? Timestamp.nowMicroseconds()
        let plan = try plan(features, fullNames: fullNames)
        let joinKeys = try plan.sharedJoinKeys()
        let keys = try withReader { state in
            try cache.transaction(source: state.session) { transaction in
                let horizon = PointInTime.Horizon(asOf: asOf, runs: transaction.runs)
                var keys = joinKeys.map { Column(type: $0.type.featureType) }
                for part in plan.parts {
                    let partKeys = try transaction.snapshot(of: part.view).map { Retrieval.visibleKeys($0, horizon: horizon) }
                        ?? state.session.keys(of: part.view, asOf: asOf)
                    keys = Retrieval.union(keys, partKeys)
                }
                return keys
            }
        }
        let rows = keys.first?.count ?? 0
        var times = Column(type: .timestamp, capacity: rows)
        for _ in 0..<rows { times.append(time.microseconds) }
        let spine = FeatureFrame(names: joinKeys.map(\.name) + ["event_timestamp"], columns: keys + [times])
        return try historical(spine: spine, plan: plan, asOf: asOf, statuses: false).frame
    }

    /// Historical retrieval, and with `statuses` the status of every cell
    /// (what the conformance suite checks).
    func historical(spine: FeatureFrame, plan: RetrievalPlan, asOf: Int64,
                    statuses: Bool) throws(LarderError) -> (frame: FeatureFrame, statuses: [[FeatureStatus]]) {
        guard let times = spine["event_timestamp"] else {
            throw .invalidInput("the spine has no event_timestamp column; it has \(spine.names.joined(separator: ", "))")
        }
        guard times.type == .timestamp || times.type == .int64 else {
            throw .invalidInput("the spine's event_timestamp column is \(times.type), not timestamp")
        }
        let rows = spine.rowCount
        for (name, column) in zip(spine.names, spine.columns) where column.count != rows {
            throw .invalidInput("the spine's column \"\(name)\" has \(column.count) rows, not \(rows)")
        }
        if times.validity.nonzeroBitCount != rows {
            let row = (0..<rows).first { !times.validity[$0] } ?? 0
            throw .invalidInput("spine row \(row + 1) has no event_timestamp")
        }
        for name in plan.names where spine.names.contains(name) {
            throw .invalidInput("the feature \"\(name)\" has the name of a spine column" + (name.contains("__") ? "" : "; use full names (view__feature)"))
        }
        var keys: [[Column]] = []
        for part in plan.parts { keys.append(try Retrieval.keyColumns(of: part.view, in: spine, rows: rows)) }
        let answers = try answers(plan, keys: keys, times: times.ints, asOf: asOf, statuses: statuses)
        let frame = FeatureFrame(names: spine.names + plan.names,
                                 columns: spine.columns + Retrieval.featureColumns(plan, answers))
        return (frame, statuses ? Retrieval.statuses(plan, answers) : [])
    }

    // MARK: Online retrieval

    /// Serving: the features of each entity now (`T = asOf = now`), with a
    /// status per feature and entity.
    ///
    /// Like a ``FeatureReader``, it sees writes made through this store at
    /// once and other processes' commits within about a quarter of a second;
    /// when every view is cached it does not wait for the store's lock.
    ///
    /// `entities` holds one column per join key of the requested views'
    /// entity (`int64` or `string`), one row per entity.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when a join key column is missing
    ///   or mistyped, or two features have the same output name;
    ///   ``LarderError/notFound(_:)`` for an unknown view or feature.
    /// - Complexity: O(e · (v log r + f)) for e entities when the views are
    ///   cached.
    ///
    /// With `asOf`, the answer the server would have given at that time
    /// (time travel, semantics §3): the rule with `T = asOf`, from the runs
    /// committed at or before `asOf`.
    ///
    /// A view not cached yet is mapped from its snapshot file, and cached
    /// when at most 262,144 rows are to be read from the store (all of
    /// them without a file, those of later runs with one); otherwise it is
    /// answered from the store this time, which takes about a millisecond,
    /// where reading it would take seconds. A ``FeatureReader``
    /// (``reader(features:fullNames:)``), a historical query or
    /// `larder cache build` reads it and writes the file. Nor does it wait
    /// while another thread of the process brings a view into the cache:
    /// the store answers this call.
    public func onlineFeatures(entities: FeatureFrame, features: [FeatureReference],
                               fullNames: Bool = false, asOf: Timestamp? = nil) throws(LarderError) -> OnlineResult {
        let plan = try plan(features, fullNames: fullNames)
        let now = asOf?.microseconds ?? Timestamp.nowMicroseconds()
        let rows = entities.rowCount
        var keys: [[Column]] = []
        for part in plan.parts { keys.append(try Retrieval.keyColumns(of: part.view, in: entities, rows: rows)) }
        if let (views, runs, loaded) = try cachedViews(plan) {
            // Views this call brought into the cache were just mapped, so
            // their pages are likely not in memory: the few this read needs
            // are read one by one, not with a read-ahead window each.
            if loaded { for view in views { view.base.region.advise(.pointReads) } }
            defer { if loaded { for view in views { view.base.region.advise(.scans) } } }
            return OnlineBatch(plan: plan, views: views, keys: keys, count: rows, at: now,
                               horizon: PointInTime.Horizon(asOf: now, runs: runs)).result()
        }
        let answers = try answers(plan, keys: keys, times: Array(repeating: now, count: rows), asOf: now, statuses: true, oneShot: true)
        return OnlineResult(featureNames: plan.names, values: Retrieval.featureColumns(plan, answers),
                            statuses: Retrieval.statuses(plan, answers), eventTimestamps: Retrieval.eventTimes(plan, answers))
    }

    /// The join keys that `features` are looked up by, resolved from the
    /// registry without preparing a reader or touching the cache: what to
    /// frame entities with for
    /// ``onlineFeatures(entities:features:fullNames:asOf:)``.
    ///
    /// - Throws: as ``reader(features:fullNames:)`` does, for unknown names,
    ///   two features of one name, or views with different join keys.
    public func joinKeys(of features: [FeatureReference], fullNames: Bool = false) throws(LarderError) -> [JoinKey] {
        try plan(features, fullNames: fullNames).sharedJoinKeys()
    }

    /// A prepared online reader of `features`: names, versions and column
    /// positions are resolved now, and the views are loaded into the cache
    /// (when they fit), so each read is a few memory lookups. The pages of
    /// a mapped snapshot's key index are brought in on a background thread,
    /// so first reads do not take page faults.
    ///
    /// - Throws: ``LarderError/usage(_:)`` when the views have different join
    ///   keys or two features the same name; ``LarderError/notFound(_:)``
    ///   for an unknown view or feature.
    /// - Complexity: O(n) in the rows of the views not cached yet (one scan
    ///   each); O(f) otherwise.
    public func reader(features: [FeatureReference], fullNames: Bool = false) throws(LarderError) -> FeatureReader {
        let plan = try plan(features, fullNames: fullNames, prepared: true)
        let reader = try FeatureReader(store: self, plan: plan)
        try withReader { state in
            try cache.transaction(source: state.session) { transaction in
                for part in plan.parts { try transaction.snapshot(of: part.view)?.base.prefaultIndex() }
            }
        }
        return reader
    }

    /// A prepared online reader of the latest version of the feature set
    /// named `featureSet`, reading the view versions the set pins.
    ///
    /// - Throws: ``LarderError/notFound(_:)`` for an unknown feature set, and
    ///   what ``reader(features:fullNames:)`` throws.
    /// - Complexity: as ``reader(features:fullNames:)``.
    public func reader(featureSet: String, fullNames: Bool = false) throws(LarderError) -> FeatureReader {
        let features = try withReader { try $0.registry.featureSet(featureSet).features }
        return try reader(features: features, fullNames: fullNames)
    }

    // MARK: Cache

    /// Brings the cache up to date on `session`, one of the store's, which
    /// the caller holds. The write path calls this right after each commit
    /// (never inside its transaction), so that the next query in this
    /// process sees the write.
    func refreshCache(session: any StoreSession) throws {
        try cache.transaction(source: session) { _ in }
    }

    /// Looks for other processes' commits without holding up the caller:
    /// the refresh runs on a Dispatch queue (not Swift's cooperative pool,
    /// which callers that block, such as a test runner or a server's
    /// handlers, can keep busy for long), and only if a read connection is
    /// free then (otherwise the next check does it), and not while a write
    /// of this process is on its way to the cache (it would read back the
    /// rows the write hands over). A failed check is
    /// retried by the next one; queries report store errors.
    func refreshCacheInBackground() {
        cache.backgroundChecks.add(1, ordering: .relaxed)
        DispatchQueue.global(qos: .utility).async { [self] in refreshCacheIfReaderFree() }
    }

    /// The check of ``refreshCacheInBackground()``, on the calling thread:
    /// only if a read connection is free, and not while a write of this
    /// process is on its way to the cache. What an engine's commit notice
    /// runs (already on a thread of its own, see
    /// ``StorageEngine/watchCommits(_:)``).
    func refreshCacheIfReaderFree() {
        _ = try? readers.withIfAvailable { state in try cache.refreshUnlessWriting(source: state.session) }
    }

    // MARK: Steps

    private func plan(_ features: [FeatureReference], fullNames: Bool, prepared: Bool = false) throws(LarderError) -> RetrievalPlan {
        guard !features.isEmpty else { throw .invalidInput("no features requested") }
        let resolved = try withReader { try $0.registry.resolve(features) }
        return try RetrievalPlan(resolved, fullNames: fullNames, prepared: prepared)
    }

    /// The cached views of every part of `plan`, with the runs the cache
    /// covers and whether this call brought them into the cache, or `nil`
    /// when a view is not cached (too large for the budget, or its version
    /// too large for a snapshot).
    ///
    /// When the cache holds them all, it is taken as it is, without the
    /// store's lock, and a due check for other processes' commits runs in
    /// the background, as for a ``FeatureReader``. Otherwise the views are
    /// brought into the cache (a mapped snapshot file, or a load) in one
    /// read transaction, which is a check itself: none starts in the
    /// background (a one-shot process, `larder online`, would start one
    /// only to exit under it).
    private func cachedViews(_ plan: RetrievalPlan) throws(LarderError) -> ([CachedView], RunTable, loaded: Bool)? {
        let contents = cache.contents
        let held = plan.parts.compactMap { contents.snapshot(id: $0.id, createdAt: $0.createdAt) }
        let checkDue = cache.claimCheck(now: Timestamp.nowMicroseconds())
        if held.count == plan.parts.count {
            if checkDue { refreshCacheInBackground() }
            return (held, contents.runs, false)
        }
        // Not while another transaction loads a view (seconds for a large one): the store answers.
        return try withReader { state in
            try cache.transactionIfFree(source: state.session) { transaction in
                var views: [CachedView] = []
                for part in plan.parts {
                    guard let view = try transaction.snapshot(of: part.view, oneShot: true) else { return nil }
                    views.append(view)
                }
                return (views, transaction.runs, true)
            } ?? nil
        }
    }

    /// The rule's answers for every part of `plan`, for `keys` (one list
    /// of key columns per part) at `times`: parts answered by the storage
    /// engine, in the same read transaction as the cache refresh; cached
    /// parts after it, with no lock held. A one-shot read does not wait
    /// while another transaction loads a view (seconds for a large one): the
    /// engine then answers every part, in a read transaction of its own.
    private func answers(_ plan: RetrievalPlan, keys: [[Column]], times: [Int64], asOf: Int64,
                         statuses: Bool, oneShot: Bool = false) throws(LarderError) -> [PartAnswer] {
        var answers = [PartAnswer?](repeating: nil, count: plan.parts.count)
        var cached: [(part: Int, snapshot: CachedView)] = []
        let runs = try withReader { state -> RunTable? in
            /// Each part from the cache when `transaction` holds it or takes it in, else from the engine.
            func answerParts(_ transaction: FeatureCache.Transaction?) throws -> RunTable? {
                for (p, part) in plan.parts.enumerated() {
                    if let snapshot = try transaction?.snapshot(of: part.view, oneShot: oneShot) {
                        cached.append((p, snapshot))
                    } else {
                        answers[p] = try Retrieval.answer(part, from: state.session, keys: keys[p], times: times, asOf: asOf, status: statuses)
                    }
                }
                return transaction?.runs
            }
            guard oneShot else { return try cache.transaction(source: state.session, answerParts) }
            if let runs = try cache.transactionIfFree(source: state.session, answerParts) { return runs }
            return try state.session.reading { try answerParts(nil) }
        }
        if let runs {
            let horizon = PointInTime.Horizon(asOf: asOf, runs: runs)
            for (p, snapshot) in cached {
                answers[p] = Retrieval.answer(snapshot, keys: keys[p], times: times, horizon: horizon)
            }
        }
        return answers.map { $0! }
    }
}
