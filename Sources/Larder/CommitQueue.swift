import Synchronization

/// Writes prepared outside the write lock, waiting to be committed (group
/// commit, see `FeatureStore+GroupCommit.swift`): whichever writer holds
/// the write lock next commits every write waiting, in one transaction.
final class CommitQueue: Sendable {
    /// One prepared write: a run to write inside the shared transaction,
    /// and, once the transaction has ended, what became of it.
    final class PendingWrite: Sendable {
        /// What a write became.
        enum Fate: Sendable {
            /// Committed (and handed to the cache).
            case committed(IngestResult)
            /// Refused or failed; nothing of it is stored.
            case failed(LarderError)
            /// Prepared for a view version that is no longer the one its
            /// name resolves to: nothing written; the writer tries again
            /// under the write lock.
            case stale
        }

        /// What a run wrote, for the cache.
        struct Written {
            /// The result.
            let result: IngestResult
            /// The view version written.
            let viewID: Int64
            /// Its rows, batch by batch.
            let batches: [WriteBatch]
        }

        /// Writes the run with the write session and the registry as the
        /// write lock sees it; throws ``CommitQueue/Stale`` when the
        /// registry's view is not the one the run was prepared for.
        let write: @Sendable (any StoreSession, RegistrySnapshot) throws -> Written
        private let done = Mutex<Fate?>(nil)

        /// A write to be done by `write`.
        init(write: @escaping @Sendable (any StoreSession, RegistrySnapshot) throws -> Written) {
            self.write = write
        }

        /// What became of the write; nil while it waits.
        var outcome: Fate? { done.withLock { $0 } }

        /// Records what became of the write.
        func finish(_ outcome: Fate) {
            done.withLock { $0 = outcome }
        }
    }

    /// Thrown by an entry's `write` prepared for another view version.
    struct Stale: Error {}

    /// The most writes one transaction commits: the rest wait for the next.
    static let maxGroup = 128

    private let waiting = Mutex<[PendingWrite]>([])
    /// Transactions that committed queued writes.
    let transactions = Atomic<Int>(0)
    /// Writes committed through the queue (several per transaction when
    /// writes arrive while a commit is under way).
    let runs = Atomic<Int>(0)

    /// Adds a prepared write.
    func add(_ entry: PendingWrite) {
        waiting.withLock { $0.append(entry) }
    }

    /// The writes waiting.
    var count: Int { waiting.withLock { $0.count } }

    /// Takes the oldest waiting writes, at most ``maxGroup``.
    func take() -> [PendingWrite] {
        waiting.withLock { waiting in
            let group = Array(waiting.prefix(Self.maxGroup))
            waiting.removeFirst(group.count)
            return group
        }
    }
}
