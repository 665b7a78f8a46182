import Larder
import Dispatch
import Logging
import NIOCore
import PostgresNIO

/// One connection to PostgreSQL, used synchronously by one thread at a
/// time (like SQLite's `Connection`): every call sends one statement and
/// waits for its whole answer.
///
/// A connection lost between transactions (a restart, a failover,
/// `pg_terminate_backend`) is opened again by the next statement; one lost
/// inside a transaction fails that transaction's later statements at once
/// (the server rolled it back as the connection ended), and the next
/// transaction connects again.
///
/// How the synchronous protocols meet postgres-nio: the connection lives on
/// ``PostgresStorage/group``'s event loop; a call hands the statement to
/// that loop as an `EventLoopFuture` and the calling thread waits on it.
/// Nothing runs as a Swift task, so no cooperative thread is ever needed
/// to finish a call: a caller on Swift concurrency's pool (a server's
/// handler) blocks only itself, the way a SQLite read does. Calling from
/// the event loop itself would deadlock and is refused.
final class PostgresLink {
    /// The store's address, for messages.
    let address: PostgresAddress
    /// The connection (a new one after a lost one, see ``reconnect()``).
    private var connection: PostgresConnection
    /// Runs ``run(_:)``'s tasks on the connection's event loop.
    private let executor: EventLoopTaskExecutor
    /// Whether a transaction is open on this connection.
    private(set) var isInTransaction = false
    /// The last task ``run(_:)`` started, until a statement waits for it:
    /// its statements are sent one after the other as each answer comes, so
    /// one sent meanwhile would run between them (a `ROLLBACK` between a
    /// savepoint and its `COPY` would leave the `COPY` to commit on its own).
    private var running: EventLoopFuture<Void>?
    /// Whether the connection was lost (an error that
    /// ``PostgresError/endsConnection``, or closed): a statement sent on it
    /// might never be answered (postgres-nio drops a write to a closed
    /// channel without failing its query), so none is sent; the next
    /// statement outside a transaction connects again.
    private(set) var isLost = false
    /// postgres-nio's logger (silent: errors reach the caller as thrown errors).
    private var logger: Logger { PostgresLink.logger }
    /// The one silent logger.
    static let logger = Logger(label: "larder.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Connects to `address` on `loop`.
    init(address: PostgresAddress, loop: any EventLoop) throws {
        self.address = address
        connection = try PostgresLink.connect(to: address, on: loop)
        executor = EventLoopTaskExecutor(loop)
    }

    /// A new connection to `address` on `loop`.
    private static func connect(to address: PostgresAddress, on loop: any EventLoop) throws -> PostgresConnection {
        do {
            return try answer(of: PostgresConnection.connect(on: loop, configuration: address.configuration, id: 1, logger: logger))
        } catch {
            throw PostgresError(error, address: address, sql: nil)
        }
    }

    /// Closes the connection, waiting for it (postgres-nio requires a
    /// connection closed before it is released).
    deinit {
        _ = try? PostgresLink.answer(of: connection.close())
    }

    /// Runs `sql` with `binds` and returns every row of its answer.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> PostgresQueryResult {
        precondition(!connection.eventLoop.inEventLoop, "a PostgreSQL store is called from its own event loop")
        waitForRunning()
        try refuseIfLost(sql)
        do {
            return try wait(for: connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger))
        } catch {
            let failure = PostgresError(error, address: address, sql: sql)
            if failure.endsConnection { isLost = true }
            throw failure
        }
    }

    /// Runs `sql`, a statement that may run twice without harm (a read,
    /// `BEGIN`), as ``query(_:_:)`` does; outside a transaction, when the
    /// connection turns out to have been lost (while idle, unnoticed until
    /// now), runs it once more on a new connection.
    @discardableResult
    func queryTwiceIfLost(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> PostgresQueryResult {
        do {
            return try query(sql, binds)
        } catch let error as PostgresError where error.endsConnection && !isInTransaction {
            return try query(sql, binds)
        }
    }

    /// Waits for the task ``run(_:)`` started last to end (its result is
    /// its caller's to take), so that no statement runs between its
    /// statements; on a closed connection nothing can, so it does not wait.
    private func waitForRunning() {
        guard let task = running else { return }
        running = nil
        guard !connection.isClosed else { return }
        _ = try? wait(for: task)
    }

    /// Before `sql` is sent: on a lost connection, throws inside a
    /// transaction (which ended with the connection), and connects again
    /// outside one.
    private func refuseIfLost(_ sql: String) throws {
        if connection.isClosed { isLost = true }
        guard isLost else { return }
        guard !isInTransaction else {
            throw PostgresError(message: "the connection to the server was lost in a transaction; not sent: \(sql.prefix(60))",
                                address: address, endsConnection: true)
        }
        try reconnect()
    }

    /// Replaces the lost connection with a new one (throws, and stays lost,
    /// when the server cannot be reached: the next statement tries again).
    private func reconnect() throws {
        let lost = connection
        connection = try PostgresLink.connect(to: address, on: lost.eventLoop)
        isLost = false
        _ = try? PostgresLink.answer(of: lost.close())
    }

    /// Sends `sql` with `binds` without waiting: the server works on it
    /// while the caller goes on (a pipeline); its answer is taken with
    /// ``answer(to:sql:)``. Statements sent later run after it, in order.
    func send(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) -> EventLoopFuture<PostgresQueryResult> {
        precondition(!connection.eventLoop.inEventLoop, "a PostgreSQL store is called from its own event loop")
        waitForRunning()
        do { try refuseIfLost(sql) } catch { return connection.eventLoop.makeFailedFuture(error) }
        return connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
    }

    /// Starts `body`, postgres-nio's `async` calls on the connection, without
    /// waiting: a task on the connection's event loop (``EventLoopTaskExecutor``),
    /// so no thread of Swift concurrency's pool is needed to finish it.
    /// Wait for it with ``wait(for:)``; a statement sent
    /// through this link while it runs (a transaction's `ROLLBACK` after an
    /// error included) first waits for it to end, so none runs between its
    /// statements.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) -> EventLoopFuture<T> {
        precondition(!connection.eventLoop.inEventLoop, "a PostgreSQL store is called from its own event loop")
        waitForRunning()
        do { try refuseIfLost("a COPY") } catch { return connection.eventLoop.makeFailedFuture(error) }
        let promise = connection.eventLoop.makePromise(of: T.self)
        let connection = connection
        Task(executorPreference: executor) {
            do { promise.succeed(try await body(connection)) } catch { promise.fail(error) }
        }
        running = promise.futureResult.map { _ in }
        return promise.futureResult
    }

    /// Waits for the answer of `sql`, sent with ``send(_:_:)``.
    func answer(to sent: EventLoopFuture<PostgresQueryResult>, sql: String) throws -> PostgresQueryResult {
        do {
            return try wait(for: sent)
        } catch {
            let failure = PostgresError(error, address: address, sql: sql)
            if failure.endsConnection { isLost = true }
            throw failure
        }
    }

    /// The first column of the first row of `sql`'s answer as an integer (0 when there is no row).
    func queryInt(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> Int64 {
        guard let row = try query(sql, binds).rows.first else { return 0 }
        return PostgresCursor(row).int64(0)
    }

    /// Runs `body` in one transaction begun with `begin` (`BEGIN …`): it
    /// commits when `body` says so and rolls back when it says so or throws.
    func transaction<R>(_ begin: String, _ body: () throws -> TransactionEnd<R>) throws -> R {
        precondition(!isInTransaction, "nested transaction")
        try queryTwiceIfLost(begin)
        isInTransaction = true
        defer { isInTransaction = false }
        let end: TransactionEnd<R>
        do {
            end = try body()
        } catch {
            // A lost connection's server process rolled the transaction back as it ended.
            if (error as? PostgresError)?.endsConnection == true { isLost = true }
            _ = try? query("ROLLBACK")
            throw error
        }
        switch end {
        case .commit(let value):
            do { try query("COMMIT") } catch {
                _ = try? query("ROLLBACK")
                throw error
            }
            return value
        case .rollback(let value):
            try query("ROLLBACK")
            return value
        }
    }

    /// Runs `body` in one read transaction that sees one state of the store
    /// (`REPEATABLE READ`: a snapshot, like a SQLite read transaction), or
    /// in the caller's when one is open.
    func reading<R>(_ body: () throws -> R) throws -> R {
        if isInTransaction { return try body() }
        return try transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { .commit(try body()) }
    }

    /// Runs `body` in one write transaction holding the store's write lock
    /// (an advisory lock, so writers take turns as on SQLite and run ids
    /// grow in commit order); when it commits having written something
    /// (its transaction has an id), adds one to the store's change counter
    /// and notifies ``PostgresCommitWatch/channel`` (sent when it commits).
    /// A transaction that wrote nothing (an `apply` with nothing to change)
    /// leaves both alone, as it leaves a SQLite file alone.
    func writing<R>(_ body: () throws -> TransactionEnd<R>) throws -> R {
        try transaction("BEGIN ISOLATION LEVEL READ COMMITTED") {
            try query("SELECT pg_advisory_xact_lock(\(PostgresLink.writeLock))")
            let end = try body()
            if case .commit = end, try queryInt("SELECT COUNT(*) WHERE pg_current_xact_id_if_assigned() IS NOT NULL") == 1 {
                try query("UPDATE larder_store SET changes = changes + 1")
                try query("NOTIFY \(PostgresCommitWatch.channel)")
            }
            return end
        }
    }

    /// Runs a cursor over `sql` (inside the caller's transaction), handing
    /// `body` the rows `batchRows` at a time; `body` returns `false` to stop.
    func scan(_ sql: String, batchRows: Int, _ body: (PostgresQueryResult) throws -> Bool) throws {
        precondition(isInTransaction, "a cursor needs a transaction")
        try query("DECLARE larder_scan NO SCROLL CURSOR FOR \(sql)")
        defer { _ = try? query("CLOSE larder_scan") }
        while true {
            let batch = try query("FETCH FORWARD \(batchRows) FROM larder_scan")
            guard try body(batch), batch.rows.count == batchRows else { return }
        }
    }

    /// The value of `future`, the answer of a statement or task sent on
    /// this link's connection, waited for on this thread as
    /// ``answer(of:)`` does, except that it does not wait forever for a
    /// statement the connection dropped: postgres-nio drops a statement
    /// written to a channel that has just closed without failing it. When
    /// the connection is found closed and, a second later, the answer has
    /// still not come, it throws an error that ends the connection (and the
    /// link is lost). Statements in flight when a connection closes are
    /// failed by postgres-nio at once, with the server's message, so this
    /// only ends waits that would never end.
    func wait<T>(for future: EventLoopFuture<T>) throws -> T {
        precondition(!future.eventLoop.inEventLoop, "a PostgreSQL store is called from its own event loop")
        let box = AnswerBox<T>()
        future.whenComplete { box.finish($0) }
        var closedChecks = 0
        while box.done.wait(timeout: .now() + PostgresLink.closedCheckInterval) == .timedOut {
            guard connection.isClosed else { continue }
            closedChecks += 1
            guard closedChecks > 1 else { continue }
            isLost = true
            throw PostgresError(message: "the connection to the server was lost; no answer came", address: address, endsConnection: true)
        }
        return try box.result!.get()
    }

    /// How often ``wait(for:)`` looks whether the connection closed.
    static let closedCheckInterval: DispatchTimeInterval = .seconds(1)

    /// The value of `future`, waited for on this thread. Not NIO's `wait()`,
    /// which refuses every event loop thread: a server that runs its tasks
    /// on NIO's loops (`larder serve`) calls the store from one of them, and
    /// waiting there is safe, because the answer comes on the connection's
    /// own loop (``PostgresStorage/group``), which never waits. Waiting on
    /// that loop itself would deadlock and is refused.
    static func answer<T>(of future: EventLoopFuture<T>) throws -> T {
        precondition(!future.eventLoop.inEventLoop, "a PostgreSQL store is called from its own event loop")
        let box = AnswerBox<T>()
        future.whenComplete { box.finish($0) }
        box.done.wait()
        return try box.result!.get()
    }

    /// The key of the advisory lock that is the store's write lock.
    static let writeLock: Int64 = 0x4C_41_52_44_45_52 // "LARDER"
}

/// Where ``PostgresLink/answer(of:)`` and ``PostgresLink/wait(for:)``
/// receive a future's result from the connection's loop.
/// `@unchecked Sendable`: `result` is written once, before `done` is
/// signalled, and read only after a wait on `done` returns without timing
/// out (a result that comes after a wait gave up is never read).
private final class AnswerBox<T>: @unchecked Sendable {
    private(set) var result: Result<T, any Error>?
    let done = DispatchSemaphore(value: 0)

    /// Keeps `result` and wakes the waiter.
    func finish(_ result: Result<T, any Error>) {
        self.result = result
        done.signal()
    }
}
