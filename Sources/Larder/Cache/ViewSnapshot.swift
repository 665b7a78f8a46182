import Synchronization
import class Foundation.Thread

/// The rows of one view version in memory, column-wise and immutable: what
/// the point-in-time rule runs over when the view is cached.
///
/// Rows are sorted by key, then by `(event_timestamp, created_timestamp,
/// __run_id)` — the table's primary key order — so the rows of one key are
/// a contiguous range (found through ``keys``) ordered by the rule's
/// tie-break, and the answer at time T is found by a binary search.
///
/// Every buffer lives in one ``Region`` laid out as a snapshot file (see
/// ``SnapshotHeader``): a file in the cache folder mapped read-only, and
/// shared through the page cache by every process that maps it, or the same
/// bytes in allocated memory. Opening a mapped snapshot reads its header
/// only; the operating system brings in the pages a query touches.
///
/// A snapshot is never changed: a refresh builds a new one and the cache
/// swaps it in, so a reader that holds a snapshot reads it without locks.
/// `@unchecked Sendable`: the buffers are immutable and kept alive by
/// ``region``.
package final class ViewSnapshot: @unchecked Sendable {
    /// The view version the rows belong to.
    let view: FeatureView
    /// The view version's registry id and creation time: its identity.
    let viewID: Int64, viewCreatedAt: Int64
    /// The view's TTL in µs (0 = none).
    let ttl: Int64
    /// The last run the rows cover (every run with a greater id is newer),
    /// and its commit time; 0 and 0 when no run was committed yet.
    let lastRun: Int64, lastRunCommittedAt: Int64
    /// The memory all buffers are in.
    let region: Region
    /// The distinct keys, their row ranges, the hash index and each key's
    /// latest-row record.
    let keys: KeyIndex
    /// `event_timestamp` of each row.
    let eventTimes: UnsafePointer<Int64>
    /// `created_timestamp` of each row.
    let createdTimes: UnsafePointer<Int64>
    /// `__run_id` of each row.
    let runIDs: UnsafePointer<Int64>
    /// One column per feature of the view, in the view's order.
    let features: [StoredColumn]
    /// The number of rows.
    let rowCount: Int
    /// The most rows a snapshot holds: rows are numbered with `Int32` (see
    /// ``PartAnswer``) and `UInt32` (see ``KeyIndex``). A view version with
    /// more is answered from SQLite.
    package static let maxRows = Int(Int32.max) / 2

    /// The snapshot of `view` whose buffers are in `region`, laid out as
    /// `header` says (decoded and checked by ``SnapshotHeader/decode(_:)``).
    ///
    /// - Throws: when the arrays do not fit the view's columns.
    init(view: FeatureView, region: Region, header: SnapshotHeader) throws(SnapshotHeader.Problem) {
        let keyTypes = view.joinKeys.map { $0.type.featureType }, featureTypes = view.features.map(\.type)
        let arrays = header.arrays, rows = header.rowCount, keyCount = header.keyCount
        guard arrays.count == SnapshotHeader.fixedArrays + 3 * (keyTypes.count + featureTypes.count) else {
            throw .inconsistent("\(arrays.count) arrays for \(keyTypes.count) keys and \(featureTypes.count) features")
        }
        let layout = RecordLayout(featureTypes)
        guard arrays[0].length == (keyCount + 1) * 4, arrays[1].length == header.slotCount * 4,
              header.recordWords == 1 + layout.words, arrays[2].length == keyCount * header.recordWords * 8,
              arrays[3].length == rows * 8, arrays[4].length == rows * 8, arrays[5].length == rows * 8 else {
            throw .inconsistent("array lengths do not match \(rows) rows and \(keyCount) keys")
        }
        let rowStarts = region.pointer(at: arrays[0].offset, as: UInt32.self)
        guard rowStarts[0] == 0, Int(rowStarts[keyCount]) == rows else { throw .inconsistent("row starts") }
        func column(_ index: Int, _ type: FeatureType, count: Int) throws(SnapshotHeader.Problem) -> StoredColumn {
            let validity = arrays[index], values = arrays[index + 1], text = arrays[index + 2]
            let expected: Int = switch type {
            case .int64, .float64, .timestamp: count * 8
            case .bool: count
            case .string, .bytes: (count + 1) * 8
            case .vector(let n): count * n * 4
            }
            guard validity.length == (count + 63) / 64 * 8, values.length == expected else {
                throw .inconsistent("column \(index / 3 - 2) has the wrong length")
            }
            let stored = StoredColumn(type: type, count: count, region: region, validityAt: validity.offset, valuesAt: values.offset,
                                      bytesAt: text.offset, lengths: (validity.length, values.length, text.length))
            switch type {
            case .string, .bytes:
                guard stored.offset(0) == 0, stored.offset(count) == text.length else { throw .inconsistent("text offsets") }
            default:
                guard text.length == 0 else { throw .inconsistent("text bytes in a column without text") }
            }
            return stored
        }
        var keyColumns: [StoredColumn] = []
        for (c, type) in keyTypes.enumerated() { keyColumns.append(try column(SnapshotHeader.fixedArrays + 3 * c, type, count: keyCount)) }
        var featureColumns: [StoredColumn] = []
        for (f, type) in featureTypes.enumerated() {
            featureColumns.append(try column(SnapshotHeader.fixedArrays + 3 * (keyTypes.count + f), type, count: rows))
        }
        self.view = view
        viewID = view.id
        viewCreatedAt = view.createdAt.microseconds
        ttl = view.ttl
        lastRun = header.lastRun
        lastRunCommittedAt = header.lastRunCommittedAt
        self.region = region
        keys = KeyIndex(types: view.joinKeys.map(\.type), keys: keyColumns, rowStarts: rowStarts,
                        table: region.pointer(at: arrays[1].offset, as: UInt32.self), slotCount: header.slotCount,
                        latest: region.pointer(at: arrays[2].offset, as: UInt64.self), layout: layout)
        eventTimes = region.pointer(at: arrays[3].offset, as: Int64.self)
        createdTimes = region.pointer(at: arrays[4].offset, as: Int64.self)
        runIDs = region.pointer(at: arrays[5].offset, as: Int64.self)
        features = featureColumns
        rowCount = rows
    }

    /// The memory the snapshot's buffers take, in bytes (the file's size
    /// when mapped).
    var byteCount: Int { region.byteCount }

    /// Whether the buffers are a mapped snapshot file.
    var isMapped: Bool { region.isMapped }

    /// Brings the pages an online read touches — the hash table, row
    /// starts, latest-row records and key columns — into this process's
    /// page tables, on a thread of its own, so that the first read of each
    /// key does not take a page fault. Only for a mapped snapshot; the
    /// caller goes on at once.
    func prefaultIndex() {
        guard isMapped else { return }
        let thread = Thread { [self] in
            guard case .success(let header) = SnapshotHeader.decode(region) else { return }
            let hot = [0, 1, 2] + (0..<keys.types.count).flatMap { c in (0..<3).map { SnapshotHeader.fixedArrays + 3 * c + $0 } }
            var sum: UInt8 = 0
            for index in hot {
                let array = header.arrays[index]
                var offset = 0
                while offset < array.length {
                    sum &+= region.base.load(fromByteOffset: array.offset + offset, as: UInt8.self)
                    offset += 4096
                }
            }
            ViewSnapshot.prefaulted.add(Int(sum & 1), ordering: .relaxed) // keeps the reads
        }
        thread.start()
    }

    /// Feeds on the bytes ``prefaultIndex()`` reads, so that they are read.
    private static let prefaulted = Atomic<Int>(0)

    /// Whether this snapshot holds the rows of the view version `id` created
    /// at `createdAt` (the same stored version: a version dropped and created
    /// again is another one).
    @inline(__always) func holds(id: Int64, createdAt: Int64) -> Bool {
        viewID == id && viewCreatedAt == createdAt
    }

    /// Prefetches the event times that the rule reads for the key of
    /// `entry` (its last rows, where a binary search starts and most often
    /// ends), a step of a pipelined join.
    @inline(__always) func prefetchEvents(of entry: KeyIndex.Entry) {
        Prefetch.read(eventTimes + (entry.start + entry.end) / 2)
    }

    /// Row `row`'s place among the rows of its key: the rule's tie-break.
    @inline(__always) func sortKey(_ row: Int) -> (Int64, Int64, Int64) {
        (eventTimes[row], createdTimes[row], runIDs[row])
    }
}

extension ViewSnapshot {
    /// Reads the rows of `view` from `source`: every row of runs up to
    /// `lastRun`, or with `afterRun` only those of later runs (a delta).
    ///
    /// - Returns: the rows as an image covering runs up to `lastRun`, or
    ///   `nil` as soon as they would take more than `byteLimit` bytes or
    ///   ``maxRows`` rows.
    /// - Complexity: O(n) in the rows read.
    static func load(_ view: FeatureView, from source: some CacheSource, afterRun: Int64?, lastRun: Int64, lastRunCommittedAt: Int64,
                     byteLimit: Int) throws -> SnapshotImage? {
        var builder = SnapshotBuilder(view: view)
        guard try source.scan(view, after: afterRun, upTo: lastRun, into: &builder, byteLimit: byteLimit) else { return nil }
        let image = builder.finish(lastRun: lastRun, lastRunCommittedAt: lastRunCommittedAt)
        return image.byteCount > byteLimit ? nil : image
    }

    /// This snapshot with the rows of `delta` (a snapshot of the same view
    /// holding only rows of later runs) merged in: a merge of two sorted
    /// sequences, keys first, then each shared key's rows by `(event,
    /// created, run)`. Runs of keys found on one side only are copied a
    /// whole block of rows at a time.
    ///
    /// - Complexity: O(n + m) in the rows of both.
    func merging(_ delta: ViewSnapshot) -> SnapshotImage {
        var builder = SnapshotBuilder(view: view, capacity: rowCount + delta.rowCount)
        let types = keys.types
        func compare(_ i: Int, _ j: Int) -> Int {
            KeyIndex.compare(StoredKey(columns: keys.keys, row: i), StoredKey(columns: delta.keys.keys, row: j), types: types)
        }
        var i = 0, j = 0
        while i < keys.count || j < delta.keys.count {
            let order = i == keys.count ? 1 : j == delta.keys.count ? -1 : compare(i, j)
            if order < 0 {
                // Keys only here, up to the next delta key.
                var end = i + 1
                while end < keys.count, j == delta.keys.count || compare(end, j) < 0 { end += 1 }
                builder.appendKeys(of: self, i..<end)
                i = end
            } else if order > 0 {
                var end = j + 1
                while end < delta.keys.count, i == keys.count || compare(i, end) > 0 { end += 1 }
                builder.appendKeys(of: delta, j..<end)
                j = end
            } else {
                builder.appendKey(keys.keys, i)
                var a = keys.rows(of: i), b = delta.keys.rows(of: j)
                while !a.isEmpty, !b.isEmpty {
                    // Take the longest prefix of one side that sorts before the other's head.
                    if sortKey(a.lowerBound) < delta.sortKey(b.lowerBound) {
                        var end = a.lowerBound + 1
                        while end < a.upperBound, sortKey(end) < delta.sortKey(b.lowerBound) { end += 1 }
                        builder.appendRows(of: self, a.lowerBound..<end)
                        a = end..<a.upperBound
                    } else {
                        var end = b.lowerBound + 1
                        while end < b.upperBound, delta.sortKey(end) < sortKey(a.lowerBound) { end += 1 }
                        builder.appendRows(of: delta, b.lowerBound..<end)
                        b = end..<b.upperBound
                    }
                }
                builder.appendRows(of: self, a)
                builder.appendRows(of: delta, b)
                i += 1
                j += 1
            }
        }
        return builder.finish(lastRun: max(lastRun, delta.lastRun),
                              lastRunCommittedAt: delta.lastRun >= lastRun ? delta.lastRunCommittedAt : lastRunCommittedAt)
    }

    /// The rows of `parts` (at least two snapshots of one view, of
    /// different runs) merged into one image.
    ///
    /// - Complexity: O(n · k) for n rows in k parts.
    static func merged(_ parts: [ViewSnapshot]) -> SnapshotImage {
        var image = parts[0].merging(parts[1])
        for part in parts.dropFirst(2) { image = image.inMemory().merging(part) }
        return image
    }
}
