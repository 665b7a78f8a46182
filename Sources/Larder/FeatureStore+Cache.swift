/// What the columnar cache holds for one view version.
public struct CacheEntry: Sendable, Equatable {
    /// The view's name.
    public var view: String
    /// The view version.
    public var version: Int
    /// Rows held.
    public var rows: Int
    /// Bytes the snapshot's buffers hold: key index, times and run ids,
    /// feature values, validity bitmaps, string offsets.
    public var bytes: Int
    /// The raw bytes of the columns themselves: 8 per key, time and run id
    /// value, each feature's values (8 per int64, float64 or timestamp, 1 per
    /// bool, the text of strings and bytes, 4 per vector element).
    public var rawBytes: Int
    /// Whether the base snapshot is a mapped snapshot file (shared with
    /// other processes) rather than this process's memory.
    public var mapped: Bool
    /// Rows of runs after the base snapshot, held in memory as delta segments.
    public var deltaRows: Int
    /// The delta segments the rows of runs after the base are in: a write
    /// adds one, a compaction in the background merges them.
    public var deltaSegments: Int

    /// What `cached` holds.
    init(_ cached: CachedView) {
        rows = cached.rowCount
        var raw = rows * 8 * (cached.view.joinKeys.count + 3)
        for snapshot in [cached.base] + cached.deltas {
            for column in snapshot.features {
                switch column.type {
                case .int64, .float64, .timestamp: raw += column.count * 8
                case .bool: raw += column.count
                case .string, .bytes: raw += column.textByteCount
                case .vector(let n): raw += column.count * n * 4
                }
            }
        }
        view = cached.view.name
        version = cached.view.version
        bytes = cached.byteCount
        rawBytes = raw
        mapped = cached.base.isMapped
        deltaRows = cached.deltaRows
        deltaSegments = cached.deltas.count
    }
}

extension FeatureStore {
    /// What the columnar cache holds now, one entry per cached view version.
    public func cacheStatistics() throws(LarderError) -> [CacheEntry] {
        cache.contents.snapshots.values.map(CacheEntry.init).sorted { ($0.view, $0.version) < ($1.view, $1.version) }
    }
}

/// What ``FeatureStore/loadCache(views:)`` did for one view version.
public struct CacheLoad: Sendable, Equatable {
    /// The view's name.
    public var view: String
    /// The view version (the latest).
    public var version: Int
    /// What the cache holds for it now, or `nil` when the view is larger
    /// than the cache budget (it is answered from the store).
    public var entry: CacheEntry?
}

extension FeatureStore {
    /// Loads views into the cache now, instead of at their first query:
    /// each one not cached yet is read from the store once, and its
    /// snapshot file written, so that the next process to read it maps the
    /// file. Run it after a large backfill, whose process does not write
    /// the file, to spare the first reader that cost (about 1 µs a row).
    ///
    /// - Parameter names: the views whose latest versions to load; empty
    ///   loads the latest version of every view.
    /// - Returns: one ``CacheLoad`` per view, in the order of `names` (by
    ///   name when `names` is empty).
    /// - Throws: ``LarderError/notFound(_:)`` for an unknown view.
    /// - Complexity: O(rows) for each view not cached yet.
    @discardableResult
    public func loadCache(views names: [String] = []) throws(LarderError) -> [CacheLoad] {
        try withReader { state in
            let views = try names.isEmpty ? state.registry.views.values.compactMap(\.last).sorted { $0.name < $1.name }
                : names.map { name throws(LarderError) in try state.registry.view(name) }
            return try cache.transaction(source: state.session) { transaction in
                try views.map { view in
                    CacheLoad(view: view.name, version: view.version, entry: try transaction.snapshot(of: view).map(CacheEntry.init))
                }
            }
        }
    }
}

/// The result of checking one file of the cache folder.
public struct SnapshotFileCheck: Sendable, Equatable {
    /// The file's path.
    public var path: String
    /// What is wrong with it, or `nil` when it is a sound, current snapshot.
    public var problem: String?
}

extension FeatureStore {
    /// Checks every file of the cache folder completely: each snapshot's
    /// header, its view version, its last run against the store's runs, and
    /// every array against its checksum (opening a snapshot checks its
    /// header only). A damaged or stale file never changes an answer — it is
    /// passed over — but it takes room until ``removeSnapshotFiles()``.
    ///
    /// - Complexity: O(bytes of the snapshot files).
    public func verifySnapshotFiles() throws(LarderError) -> [SnapshotFileCheck] {
        let (registry, runs) = try withReader { state in
            (state.registry, try cache.transaction(source: state.session) { $0.runs })
        }
        let files = SnapshotFiles(folder: snapshotFolder, log: nil)
        return files.names().map { SnapshotFileCheck(path: files.folder + "/" + $0, problem: files.check($0, registry: registry, runs: runs)) }
    }

    /// Removes the cache folder and every file in it. Processes that map a
    /// snapshot keep reading it; the next process to open the store reads
    /// each view from the store once and writes its snapshot again.
    ///
    /// - Returns: the number of files removed.
    @discardableResult
    public func removeSnapshotFiles() throws(LarderError) -> Int {
        try SnapshotFiles(folder: snapshotFolder, log: nil).removeAll()
    }
}
