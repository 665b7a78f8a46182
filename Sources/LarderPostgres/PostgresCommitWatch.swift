import Logging
import NIOCore
import PostgresNIO

/// Listens on the store's notification channel (`LISTEN larder_commits`,
/// sent by every write transaction as it commits, see
/// ``PostgresLink/writing(_:)``) on a connection of its own, and calls
/// `onCommit` for each notice: how a serving node's cache sees another
/// node's run as soon as it commits. A lost connection is opened again
/// (with one call of `onCommit`, for what it may have missed) after a
/// second; the listening ends when the watch is released.
final class PostgresCommitWatch: Sendable {
    /// The listening task.
    private let task: Task<Void, Never>

    /// The channel every write transaction notifies.
    static let channel = "larder_commits"

    /// Starts listening on the store at `address`.
    init(address: PostgresAddress, loop: any EventLoop, onCommit: @escaping @Sendable () -> Void) {
        task = Task {
            var first = true
            while !Task.isCancelled {
                if let connection = try? await PostgresConnection.connect(on: loop, configuration: address.configuration, id: 2, logger: PostgresLink.logger).get() {
                    if !first { onCommit() }
                    first = false
                    _ = try? await connection.listen(on: PostgresCommitWatch.channel) { notifications in
                        for try await _ in notifications { onCommit() }
                    }
                    try? await connection.close()
                }
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
    }

    deinit {
        task.cancel()
    }
}
