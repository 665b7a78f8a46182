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
}

extension FeatureStore {
    /// What the columnar cache holds now, one entry per cached view version.
    public func cacheStatistics() throws(LarderError) -> [CacheEntry] {
        cache.contents.snapshots.values.map { snapshot in
            let rows = snapshot.rowCount
            var raw = rows * 8 * (snapshot.view.joinKeys.count + 3)
            for column in snapshot.features {
                switch column.type {
                case .int64, .float64, .timestamp: raw += rows * 8
                case .bool: raw += rows
                case .string, .bytes: raw += column.bytes.count
                case .vector(let n): raw += rows * n * 4
                }
            }
            return CacheEntry(view: snapshot.view.name, version: snapshot.view.version, rows: rows, bytes: snapshot.byteCount, rawBytes: raw)
        }.sorted { ($0.view, $0.version) < ($1.view, $1.version) }
    }
}
