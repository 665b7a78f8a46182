/// One committed write: the unit of data versioning.
public struct IngestRun: Sendable, Equatable {
    /// The run id (monotonic).
    public var id: Int64
    /// The view written to.
    public var view: String
    /// The view version written to.
    public var version: Int
    /// The input file (`-` for stdin, `write` for the library API).
    public var source: String
    /// SHA-256 of the input.
    public var contentSHA256: String
    /// Rows committed.
    public var rows: Int
    /// Rows rejected (`--on-error skip`).
    public var rejected: Int
    /// When the run started.
    public var startedAt: Timestamp
    /// When it committed.
    public var committedAt: Timestamp

    /// A run with these fields (what a storage engine reads back).
    package init(id: Int64, view: String, version: Int, source: String, contentSHA256: String, rows: Int, rejected: Int,
                 startedAt: Timestamp, committedAt: Timestamp) {
        self.id = id
        self.view = view
        self.version = version
        self.source = source
        self.contentSHA256 = contentSHA256
        self.rows = rows
        self.rejected = rejected
        self.startedAt = startedAt
        self.committedAt = committedAt
    }
}

extension Array where Element == IngestRun {
    /// The runs as a JSON array of objects with `id`, `version`, `rows`,
    /// `rejected`, `content_sha256`, `source`, `started_at`, `committed_at`.
    public func json() -> String {
        JSONValue.array(map { r in
            .object(["id": .int(Int(r.id)), "version": .int(r.version), "rows": .int(r.rows), "rejected": .int(r.rejected),
                     "content_sha256": .string(r.contentSHA256), "source": .string(r.source),
                     "started_at": .string(r.startedAt.description), "committed_at": .string(r.committedAt.description)])
        }).rendered
    }
}
