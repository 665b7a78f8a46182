import Dispatch
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// Listens on the store's notification channel (`LISTEN larder_commits`,
/// sent by every write transaction as it commits, see
/// ``PostgresLink/writing(_:)``) on a connection of its own, and calls
/// `onCommit` for each notice: how a serving node's cache sees another
/// node's run as soon as it commits.
///
/// Everything runs on the engine's event loop (``PostgresStorage/loop``, a
/// thread of its own), as futures and callbacks, never as a Swift task:
/// a cooperative pool kept busy by blocking callers (a server's handlers,
/// a test runner) cannot hold up the notices. `onCommit` is called on a
/// Dispatch queue, never on that loop: it may let go of the last reference
/// to its store, and closing a store waits for the loop.
/// A lost connection is opened again after a second (with one call of
/// `onCommit`, for what it may have missed); the listening ends when the
/// watch is released.
final class PostgresCommitWatch: Sendable {
    /// Where the store is.
    private let address: PostgresAddress
    /// The loop everything runs on.
    private let loop: any EventLoop
    /// What a notice calls.
    private let onCommit: @Sendable () -> Void
    /// The listening connection while there is one, and whether the watch was released.
    private let state = Mutex<(connection: PostgresConnection?, stopped: Bool)>((nil, false))

    /// The channel every write transaction notifies.
    static let channel = "larder_commits"

    /// Starts listening on the store at `address`.
    init(address: PostgresAddress, loop: any EventLoop, onCommit: @escaping @Sendable () -> Void) {
        self.address = address
        self.loop = loop
        self.onCommit = { DispatchQueue.global(qos: .utility).async(execute: onCommit) }
        connect(first: true)
    }

    /// Connects and listens; on a failure or a lost connection, tries again
    /// a second later until the watch is released.
    private func connect(first: Bool) {
        PostgresConnection.connect(on: loop, configuration: address.configuration, id: 2, logger: PostgresLink.logger)
            .whenComplete { [weak self] result in
                guard let self else {
                    if case .success(let connection) = result { PostgresCommitWatch.close(connection) }
                    return
                }
                guard case .success(let connection) = result else { return self.retry() }
                let keep = self.state.withLock { state -> Bool in
                    guard !state.stopped else { return false }
                    state.connection = connection
                    return true
                }
                guard keep else {
                    PostgresCommitWatch.close(connection)
                    return
                }
                connection.query(PostgresQuery(unsafeSQL: "SELECT pg_is_in_recovery()"), logger: PostgresLink.logger)
                    .whenComplete { [weak self] answer in
                        guard let self else { return PostgresCommitWatch.close(connection) }
                        let standby = (try? answer.get().rows.first?.decode(Bool.self)) ?? false
                        guard !standby else { return self.waitForPromotion(connection) }
                        self.listen(on: connection, first: first)
                    }
            }
    }

    /// Listens on `connection` and connects again when it is lost.
    private func listen(on connection: PostgresConnection, first: Bool) {
        let onCommit = self.onCommit
        connection.addListener(channel: PostgresCommitWatch.channel) { _, _ in onCommit() }
        if !first { onCommit() }
        connection.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLock { $0.connection = nil }
            self?.retry()
        }
    }

    /// A hot standby (a streaming replica) cannot `LISTEN`, and its commits
    /// come from the primary's WAL, which sends no notice to a standby's
    /// listeners: the cache's periodic check finds new runs there. Closes
    /// `connection` and asks again after ``standbyRecheck``, so a standby that
    /// is promoted to primary starts listening.
    private func waitForPromotion(_ connection: PostgresConnection) {
        state.withLock { $0.connection = nil }
        PostgresCommitWatch.close(connection)
        retry(after: PostgresCommitWatch.standbyRecheck)
    }

    /// How often a watch on a hot standby asks whether it was promoted.
    static let standbyRecheck = TimeAmount.seconds(10)

    /// Connects again after `delay` (a second unless said), unless the watch was released.
    private func retry(after delay: TimeAmount = .seconds(1)) {
        loop.scheduleTask(in: delay) { [weak self] in
            guard let self, !self.state.withLock({ $0.stopped }) else { return }
            self.connect(first: false)
        }
    }

    /// Closes `connection` without waiting, keeping it until it is closed
    /// (postgres-nio requires a connection closed before it is released).
    private static func close(_ connection: PostgresConnection) {
        let closed: EventLoopFuture<Void> = connection.close()
        closed.whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    deinit {
        let connection = state.withLock { state in
            state.stopped = true
            return state.connection
        }
        if let connection { PostgresCommitWatch.close(connection) }
    }
}
