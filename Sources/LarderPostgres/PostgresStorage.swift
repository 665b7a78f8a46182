import Larder
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The PostgreSQL storage engine: a store is one database, each session one
/// connection (``PostgresLink``). Sessions are synchronous, like SQLite's: a
/// call sends its statement and waits for the answer on the calling thread,
/// while the connection's I/O runs on this engine's own event loop thread.
struct PostgresStorage: StorageEngine {
    /// Where the store is, and how to reach it.
    let address: PostgresAddress
    /// The event loop every session's connection runs on: a thread of its
    /// own, never a thread of Swift concurrency's cooperative pool, so a
    /// caller blocked waiting for an answer (even on a cooperative thread)
    /// never holds up the loop that brings the answer.
    let loop: any EventLoop

    /// No files: the store is in the server.
    var files: [String] { [] }

    /// The database must exist; the store's tables are made in it when
    /// `create` (else a database without them is refused, as SQLite refuses a missing file).
    func openWriter(create: Bool) throws -> any StoreSession {
        let link = try PostgresLink(address: address, loop: loop)
        if !create, try !PostgresMigrator.hasMigrationsTable(link) {
            throw LarderError.io(path: address.description, message: "the database holds no Larder store (make one with `larder init --store \(address)`)")
        }
        return PostgresSession(link: link)
    }

    func openReader() throws -> any StoreSession {
        PostgresSession(link: try PostgresLink(address: address, loop: loop))
    }

    /// Listens for other connections' commits (``PostgresCommitWatch``).
    func watchCommits(_ onCommit: @escaping @Sendable () -> Void) -> (any AnyObject & Sendable)? {
        PostgresCommitWatch(address: address, loop: loop, onCommit: onCommit)
    }

    /// The one event loop thread of every PostgreSQL store of the process.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
}
