import Dispatch
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
        /// write lock sees it; throws ``CommitQueue/Stale``, before it
        /// writes anything, when the registry's view is not the one the
        /// run was prepared for.
        let write: @Sendable (any StoreSession, RegistrySnapshot) throws -> Written
        /// Whether the run is expected to be refused (its input had
        /// problems): it is then written in a savepoint of its own, so
        /// that its refusal undoes it alone.
        let expectsRefusal: Bool
        private let done = Mutex<Fate?>(nil)
        /// Signalled when the write is done, or when its writer is to
        /// commit the writes still waiting.
        private let wake = DispatchSemaphore(value: 0)

        /// A write to be done by `write`, expected to be refused when `expectsRefusal`.
        init(expectsRefusal: Bool, write: @escaping @Sendable (any StoreSession, RegistrySnapshot) throws -> Written) {
            self.expectsRefusal = expectsRefusal
            self.write = write
        }

        /// What became of the write; nil while it waits.
        var outcome: Fate? { done.withLock { $0 } }

        /// Records what became of the write, and wakes its writer.
        func finish(_ outcome: Fate) {
            done.withLock { $0 = outcome }
            wake.signal()
        }

        /// Sleeps until the write is done or its writer is woken to commit
        /// (``CommitQueue/wakeOldest()``), at most ``CommitQueue/nap``.
        func sleep() {
            _ = wake.wait(timeout: .now() + CommitQueue.nap)
        }

        /// Wakes the writer (to commit the writes waiting).
        func wakeUp() {
            wake.signal()
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
    /// Times a small writer held the write lock to commit the writes
    /// waiting (finding none when another had committed them).
    let turns = Atomic<Int>(0)
    /// Writes that went into a savepoint of their own (those expected to
    /// be refused; the others share the transaction without one).
    let savepoints = Atomic<Int>(0)
    /// Group transactions rolled back because a write not expected to be
    /// refused failed in it, and begun again without that write.
    let retries = Atomic<Int>(0)

    /// Adds a prepared write.
    func add(_ entry: PendingWrite) {
        waiting.withLock { $0.append(entry) }
    }

    /// The writes waiting.
    var count: Int { waiting.withLock { $0.count } }

    /// The longest a writer sleeps before it tries the write lock again
    /// when nobody woke it: a safety net, since whoever releases the lock
    /// wakes the oldest writer waiting.
    static let nap = DispatchTimeInterval.milliseconds(10)

    /// Wakes the writer of the oldest write waiting, if any, to commit the
    /// writes waiting: called whenever the write lock is released.
    func wakeOldest() {
        waiting.withLock { $0.first }?.wakeUp()
    }

    /// Takes the oldest waiting writes, at most ``maxGroup``.
    func take() -> [PendingWrite] {
        waiting.withLock { waiting in
            let group = Array(waiting.prefix(Self.maxGroup))
            waiting.removeFirst(group.count)
            return group
        }
    }
}
