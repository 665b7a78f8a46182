import Dispatch
import Synchronization

/// The store's read connections: up to ``limit`` SQLite connections, each
/// used by one caller at a time, opened when first needed. In WAL mode a
/// read transaction on one of them sees the last commit before it began
/// and never waits for a writer, so queries, listings and online lookups go
/// on while a long backfill holds the write connection (see
/// ``FeatureStore/withState(_:)``).
final class ReaderPool: Sendable {
    /// The most connections the pool opens.
    let limit: Int
    /// Opens one more connection (with its registry loaded).
    private let open: @Sendable () throws(LarderError) -> FeatureStore.State
    /// Connections not in use.
    private let idle = Mutex<[FeatureStore.State]>([])
    /// Counts the connections that may be taken: opened and idle, or not yet opened.
    private let available: DispatchSemaphore

    /// A pool of up to `limit` connections made by `open`.
    init(limit: Int, open: @escaping @Sendable () throws(LarderError) -> FeatureStore.State) {
        self.limit = limit
        self.open = open
        available = DispatchSemaphore(value: limit)
    }

    /// Runs `body` with a connection of its own, waiting while all are in use.
    func with<R>(_ body: (inout FeatureStore.State) throws -> R) throws -> R {
        available.wait()
        defer { available.signal() }
        return try use(body)
    }

    /// Runs `body` with a connection when one is free now; `nil` otherwise.
    func withIfAvailable<R>(_ body: (inout FeatureStore.State) throws -> R) throws -> R? {
        guard available.wait(timeout: .now()) == .success else { return nil }
        defer { available.signal() }
        return try use(body)
    }

    /// Takes an idle connection (or opens one), runs `body`, puts it back.
    private func use<R>(_ body: (inout FeatureStore.State) throws -> R) throws -> R {
        var state = try idle.withLock { $0.popLast() } ?? open()
        defer { idle.withLock { $0.append(state) } }
        return try body(&state)
    }
}
