/// The ledger's record of one interval of a view version (`larder ledger`):
/// which run filled it, what produced it, and whether it is committed.
public struct LedgerEntry: Sendable, Equatable {
    /// Whether the interval's data is in the store.
    public enum Status: String, Sendable {
        /// A run holds the interval's rows; the entry was written in its transaction.
        case committed
        /// The last attempt failed and nothing was written; ``LedgerEntry/message`` says why.
        case failed
    }

    /// The view.
    public var view: String
    /// The view version the interval was computed for.
    public var version: Int
    /// The interval.
    public var interval: BackfillInterval
    /// Committed or failed.
    public var status: Status
    /// The run holding the interval's rows (the latest, after a recomputation); nil when failed.
    public var runID: Int64?
    /// The command line with its placeholders expanded, or the function's name.
    public var command: String
    /// SHA-256 of the committed output (empty when failed).
    public var contentSHA256: String
    /// SHA-256 of the definition version, the command and the content hash
    /// (empty when failed): an interval recomputed to the same fingerprint
    /// writes no new run.
    public var fingerprint: String
    /// Why the last attempt failed (exit status, stderr tail, validation
    /// report); empty when it did not.
    public var message: String
    /// When the entry was last written.
    public var recordedAt: Timestamp

    /// An entry with these fields (what a storage engine reads back).
    package init(view: String, version: Int, interval: BackfillInterval, status: Status, runID: Int64?, command: String,
                 contentSHA256: String, fingerprint: String, message: String, recordedAt: Timestamp) {
        self.view = view
        self.version = version
        self.interval = interval
        self.status = status
        self.runID = runID
        self.command = command
        self.contentSHA256 = contentSHA256
        self.fingerprint = fingerprint
        self.message = message
        self.recordedAt = recordedAt
    }

    /// The fingerprint of `version`, `command` and `contentSHA256`.
    static func fingerprint(version: Int, command: String, contentSHA256: String) -> String {
        SHA256.hash(Array("larder-ledger-1\n\(version)\n\(command)\n\(contentSHA256)".utf8))
    }
}

extension Array where Element == LedgerEntry {
    /// The entries as a JSON array of objects with `start`, `end`, `status`,
    /// `run_id` (null when failed), `command`, `content_sha256`,
    /// `fingerprint`, `message` and `recorded_at`.
    public func json() -> String {
        JSONValue.array(map { e in
            .object(["start": .string(BackfillInterval.text(e.interval.start)), "end": .string(BackfillInterval.text(e.interval.end)),
                     "version": .int(e.version), "status": .string(e.status.rawValue), "run_id": e.runID.map { .int(Int($0)) } ?? .null,
                     "command": .string(e.command), "content_sha256": .string(e.contentSHA256), "fingerprint": .string(e.fingerprint),
                     "message": .string(e.message), "recorded_at": .string(e.recordedAt.description)])
        }).rendered
    }
}
