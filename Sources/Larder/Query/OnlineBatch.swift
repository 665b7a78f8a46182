/// The answers of an online read for many entities at one time (a prepared
/// reader's batch read, or ``FeatureStore/onlineFeatures(entities:features:fullNames:asOf:)``):
/// one clock read, one look at the cache's contents, every key probed before
/// any value is read, then the values read feature by feature.
///
/// When every view of the reader is cached, each view version's answer is
/// kept per entity as its winning row (numbered across the view's base and
/// delta segments, or a miss code as in ``PartAnswer``), the winner's latest-row
/// record when the winner is the key's last row (the usual online case: one
/// or two cache lines hold every feature), and its event time. Otherwise
/// (a view not cached, or too large to cache) the batch holds one
/// ``FeatureRow`` per entity, read one by one as single reads do (a single
/// read is a batch of one such row).
///
/// Whoever lays the answer out has it written feature by feature
/// (``write(feature:statuses:times:slots:payload:)``): ``OnlineResult``'s
/// columns, or the C ABI's caller-owned buffers. Either way the answers are
/// those of `count` single reads (``FeatureReader/read(key:)-(Int64)``) made
/// at the batch's one "now".
package struct OnlineBatch: Sendable {
    /// One view version's answers, when it is cached.
    struct Part: Sendable {
        /// The view's base and delta segments.
        let cached: CachedView
        /// For each entity: the winner (numbered across base and segments) or a miss code.
        let rows: [Int32]
        /// For each entity: where the winner's latest-row record starts (in the
        /// ``KeyIndex/latest`` of the snapshot holding the winner), or -1.
        let records: [Int]
        /// For each entity: the winner's event time (0 on a miss).
        let times: [Int64]
    }

    private enum Answers: Sendable {
        case cached([Part])
        case rows([FeatureRow])
        case one(FeatureRow)
    }

    private let plan: RetrievalPlan
    private let answers: Answers
    /// The number of entities.
    package let count: Int

    /// Answers read one entity at a time.
    init(plan: RetrievalPlan, rows: [FeatureRow]) {
        self.plan = plan
        answers = .rows(rows)
        count = rows.count
    }

    /// The answer of one single read, as a batch of one entity (allocates nothing).
    package init(single row: FeatureRow) {
        plan = row.plan
        answers = .one(row)
        count = 1
    }

    /// The answers of the plan's cached views `views` (one per part) for
    /// `count` entities at `time` under `horizon`: `keys` holds each part's
    /// key columns (one column per join key of its view; a null part: not
    /// found).
    init(plan: RetrievalPlan, views: [CachedView], keys: [[Column]], count: Int, at time: Int64, horizon: PointInTime.Horizon) {
        self.plan = plan
        self.count = count
        answers = .cached(zip(views, keys).map { OnlineBatch.answer($0, keys: $1, count: count, at: time, horizon: horizon) })
    }

    // MARK: Probing

    /// The rule over `cached` for every key: the keys found in the base
    /// (and each delta segment), then the rule per key, combined segment by
    /// segment as single reads combine them (``FeatureRow/Hit``).
    private static func answer(_ cached: CachedView, keys: [Column], count: Int, at time: Int64,
                               horizon: PointInTime.Horizon) -> Part {
        let base = cached.base, deltas = cached.deltas
        let inBase = positions(in: base.keys, keys: keys, count: count)
        let inDeltas = deltas.map { positions(in: $0.keys, keys: keys, count: count) }
        var rows = [Int32](repeating: PartAnswer.notFound, count: count)
        var records = [Int](repeating: -1, count: count)
        var times = [Int64](repeating: 0, count: count)
        let d = Prefetch.distance, index = base.keys
        for i in 0..<min(count, d) where inBase[i] >= 0 { index.prefetchEntry(at: Int(inBase[i])) }
        for i in 0..<count {
            if i + d < count, inBase[i + d] >= 0 { index.prefetchEntry(at: Int(inBase[i + d])) }
            var snapshot = base
            var entry = inBase[i] >= 0 ? index.entry(at: Int(inBase[i])) : nil
            var match = PointInTime.match(entry, at: time, in: base, horizon: horizon)
            // `match` numbered across the view; `local` within `snapshot`.
            var local = match, row = 0
            for (segment, delta) in deltas.enumerated() {
                let deltaEntry = inDeltas[segment][i] >= 0 ? delta.keys.entry(at: Int(inDeltas[segment][i])) : nil
                match = PointInTime.combine(match, PointInTime.match(deltaEntry, at: time, in: delta, horizon: horizon), segment: segment, in: cached)
                if case .row(let winner) = match {
                    if winner >= cached.starts[segment] {
                        (snapshot, entry, local, row) = (delta, deltaEntry, .row(winner - cached.starts[segment]), cached.starts[segment])
                    }
                } else {
                    local = match
                }
            }
            guard case .row(let winner) = local else {
                rows[i] = PartAnswer.code(match)
                continue
            }
            rows[i] = Int32(row + winner)
            if let entry, winner == entry.end - 1 {
                records[i] = entry.record
                times[i] = entry.lastEvent
            } else {
                times[i] = snapshot.eventTimes[winner]
            }
        }
        return Part(cached: cached, rows: rows, records: records, times: times)
    }

    /// Each key's position in `index`, or -1 (not there, or a null part):
    /// the hash slot of key `i + 2d` and the stored key of `i + d` are
    /// prefetched while key `i` is probed, so that the misses of many keys
    /// overlap (as in ``Retrieval``'s joins).
    private static func positions(in index: KeyIndex, keys: [Column], count: Int) -> [Int32] {
        [Int32](unsafeUninitializedCapacity: count) { out, initialized in
            let d = Prefetch.distance
            if keys.count == 1, keys[0].type == .int64 {
                let key = keys[0]
                key.ints.withUnsafeBufferPointer { ints in
                    for i in 0..<min(count, 2 * d) { index.prefetchSlot(of: Int64Key(value: ints[i])) }
                    for i in 0..<count {
                        if i + 2 * d < count { index.prefetchSlot(of: Int64Key(value: ints[i + 2 * d])) }
                        if i + d < count { index.prefetchStoredKey(of: Int64Key(value: ints[i + d])) }
                        let position = key.validity[i] ? index.position(of: Int64Key(value: ints[i])) : nil
                        out[i] = position.map(Int32.init) ?? -1
                    }
                }
            } else {
                for i in 0..<min(count, d) where !Retrieval.hasNullKey(keys, i) { index.prefetchSlot(of: ColumnsKey(columns: keys, row: i)) }
                for i in 0..<count {
                    if i + d < count, !Retrieval.hasNullKey(keys, i + d) { index.prefetchSlot(of: ColumnsKey(columns: keys, row: i + d)) }
                    let position = Retrieval.hasNullKey(keys, i) ? nil : index.position(of: ColumnsKey(columns: keys, row: i))
                    out[i] = position.map(Int32.init) ?? -1
                }
            }
            initialized = count
        }
    }

    // MARK: Writing features out

    /// The status of each code (see ``code(_:)``).
    private static let statuses: [FeatureStatus] = [.present, .nullValue, .notFound, .outsideMaxAge]

    /// The status codes ``write(feature:statuses:times:slots:payload:)``
    /// writes: 0 `PRESENT`, 1 `NULL_VALUE`, 2 `NOT_FOUND`, 3
    /// `OUTSIDE_MAX_AGE` (larder.h's `LARDER_PRESENT` …).
    private static func code(_ status: FeatureStatus) -> UInt8 {
        switch status {
        case .present: 0
        case .nullValue: 1
        case .notFound: 2
        case .outsideMaxAge: 3
        }
    }

    /// Writes feature `f`'s answer for every entity `i`: its status code
    /// (``code(_:)``) to `statuses[i]`, the event time of the row answering
    /// it (0 when none does) to `times[i]`, and a present fixed-width value's
    /// 64 bits (`int64` and `timestamp` values, a `float64`'s bit pattern, a
    /// `bool` as 0 or 1) to `slots[i]` (0 otherwise). A present `string`,
    /// `bytes` or vector value is handed to `payload(i, bytes)` instead (a
    /// vector's bytes are its float32 elements), in entity order; its slot is
    /// left alone.
    ///
    /// One loop per feature over the entities, with what it reads hoisted out
    /// of it: a value comes from the winner's latest-row record when there is
    /// one (the records of the batch's keys stay in the CPU's caches from
    /// one feature to the next), otherwise from the column.
    ///
    /// - Complexity: O(n + the payload bytes) for n entities.
    package func write(feature f: Int, statuses: UnsafeMutablePointer<UInt8>, times: UnsafeMutablePointer<Int64>,
                       slots: UnsafeMutablePointer<UInt64>, payload: (Int, UnsafeRawBufferPointer) -> Void) {
        let parts: [Part]
        switch answers {
        case .cached(let cached): parts = cached
        case .rows(let rows): return OnlineBatch.write(f, count: count, { rows[$0] }, statuses, times, slots, payload)
        case .one(let row): return OnlineBatch.write(f, count: 1, { _ in row }, statuses, times, slots, payload)
        }
        let slot = plan.slots[f]
        let part = parts[slot.part]
        let cached = part.cached, base = cached.base, split = cached.split
        let baseLatest = base.keys.latest, baseColumn = base.features[slot.feature].buffers
        let bit = slot.recordBit, word = slot.recordWord, mask: UInt64 = bit >= 0 ? 1 << UInt64(bit & 63) : 0
        withExtendedLifetime(part) {
            part.rows.withUnsafeBufferPointer { rows in
                part.records.withUnsafeBufferPointer { records in
                    part.times.withUnsafeBufferPointer { winners in
                        for i in 0..<count {
                            let code = Int(rows[i])
                            guard code >= 0 else {
                                statuses[i] = code == Int(PartAnswer.notFound) ? 2 : 3
                                times[i] = 0
                                slots[i] = 0
                                continue
                            }
                            times[i] = winners[i]
                            var row = code, table = baseLatest, column = baseColumn
                            if code >= split {
                                let (segment, inSegment) = cached.locate(code)
                                (row, table, column) = (inSegment, segment.keys.latest, segment.features[slot.feature].buffers)
                            }
                            let record = records[i]
                            let valid = record >= 0 && bit >= 0
                                ? table[record + bit >> 6] & mask != 0
                                : column.validity[row >> 6] & (1 << UInt64(row & 63)) != 0
                            guard valid else {
                                statuses[i] = 1
                                slots[i] = 0
                                continue
                            }
                            statuses[i] = 0
                            switch slot.type {
                            case .int64, .timestamp, .float64:
                                slots[i] = record >= 0 ? table[record + word] : column.values.load(fromByteOffset: row * 8, as: UInt64.self)
                            case .bool:
                                slots[i] = record >= 0 ? table[record + word] : column.values.load(fromByteOffset: row, as: Bool.self) ? 1 : 0
                            case .string, .bytes:
                                if record >= 0 {
                                    let length = table[record + word], count = Int(length & ~RecordLayout.outOfLine)
                                    if length & RecordLayout.outOfLine == 0 {
                                        var packed = (table[record + word + 1], table[record + word + 2])
                                        withUnsafeBytes(of: &packed) { payload(i, UnsafeRawBufferPointer(rebasing: $0[..<count])) }
                                    } else {
                                        payload(i, UnsafeRawBufferPointer(start: column.bytes + Int(table[record + word + 1]), count: count))
                                    }
                                } else {
                                    let offsets = column.values.assumingMemoryBound(to: Int.self)
                                    payload(i, UnsafeRawBufferPointer(start: column.bytes + offsets[row], count: offsets[row + 1] - offsets[row]))
                                }
                            case .vector(let n):
                                payload(i, UnsafeRawBufferPointer(start: column.values + row * n * 4, count: n * 4))
                            }
                        }
                    }
                }
            }
        }
    }

    /// ``write(feature:statuses:times:slots:payload:)`` from rows read one by one (`row(i)`: entity `i`'s).
    private static func write(_ f: Int, count: Int, _ row: (Int) -> FeatureRow,
                              _ statuses: UnsafeMutablePointer<UInt8>, _ times: UnsafeMutablePointer<Int64>,
                              _ slots: UnsafeMutablePointer<UInt64>, _ payload: (Int, UnsafeRawBufferPointer) -> Void) {
        for i in 0..<count {
            // A payload's slot is written by `payload` (its place in the buffer): set the slot first.
            slots[i] = 0
            let (code, time, bits) = row(i).layout(f) { payload(i, $0) }
            statuses[i] = code
            times[i] = time
            if bits != 0 { slots[i] = bits }
        }
    }

    // MARK: As columns

    /// The answer as an ``OnlineResult``: one column, status and event time
    /// per feature and entity.
    ///
    /// A fixed-width feature's column is made whole from the written slots
    /// (a null's slot is 0, as ``Column/appendNull()`` would leave it) and
    /// its validity from the status codes, word by word; only `string`,
    /// `bytes` and vector values are appended one by one, as their payloads
    /// come.
    func result() -> OnlineResult {
        var values: [Column] = [], statuses: [[FeatureStatus]] = [], times: [[Timestamp?]] = []
        values.reserveCapacity(plan.slots.count)
        statuses.reserveCapacity(plan.slots.count)
        times.reserveCapacity(plan.slots.count)
        var codes = [UInt8](repeating: 0, count: count), eventTimes = [Int64](repeating: 0, count: count)
        var bits = [UInt64](repeating: 0, count: count)
        for (f, slot) in plan.slots.enumerated() {
            var column = Column(type: slot.type)
            var next = 0
            codes.withUnsafeMutableBufferPointer { codes in
                eventTimes.withUnsafeMutableBufferPointer { eventTimes in
                    bits.withUnsafeMutableBufferPointer { bits in
                        write(feature: f, statuses: codes.baseAddress!, times: eventTimes.baseAddress!, slots: bits.baseAddress!) { i, bytes in
                            if next == 0 { column.reserveCapacity(count) }
                            while next < i {
                                column.appendNull()
                                next += 1
                            }
                            if case .vector = slot.type {
                                column.append(vector: bytes.assumingMemoryBound(to: Float.self))
                            } else {
                                column.append(bytes: bytes)
                            }
                            next = i + 1
                        }
                    }
                }
            }
            switch slot.type {
            case .string, .bytes, .vector:
                while next < count {
                    column.appendNull()
                    next += 1
                }
            case .float64:
                column.doubles = bits.map { Double(bitPattern: $0) }
                column.validity = Bitmap(marking: codes, where: 0)
            case .int64, .timestamp:
                column.ints = bits.map { Int64(bitPattern: $0) }
                column.validity = Bitmap(marking: codes, where: 0)
            case .bool:
                column.bools = bits.map { $0 != 0 }
                column.validity = Bitmap(marking: codes, where: 0)
            }
            values.append(column)
            statuses.append(codes.map { OnlineBatch.statuses[Int($0)] })
            times.append(codes.indices.map { codes[$0] < 2 ? Timestamp(microseconds: eventTimes[$0]) : nil })
        }
        return OnlineResult(featureNames: plan.names, values: values, statuses: statuses, eventTimestamps: times)
    }
}
