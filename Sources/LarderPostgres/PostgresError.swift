import Larder
import PostgresNIO

/// An error of the PostgreSQL engine: the server's message and SQLSTATE
/// (postgres-nio hides them from `description`), the statement, and the
/// store; says to a user what happened to the store.
struct PostgresError: Error, EngineError, CustomStringConvertible {
    /// The server's message, or what went wrong on the way.
    let message: String
    /// The server's SQLSTATE code, when the server answered.
    let sqlState: String?
    /// The statement that failed, if any.
    let sql: String?
    /// The store.
    let address: PostgresAddress
    /// Whether the connection is lost with it: closed, or closing after a
    /// `FATAL` error of the server (a terminated server process): no
    /// statement may follow on it (``PostgresLink/query(_:_:)``).
    let endsConnection: Bool

    /// Wraps `error` of a statement `sql` (or of connecting, when `nil`) to
    /// `address`; an error that is already a `PostgresError` is kept as it is.
    init(_ error: any Error, address: PostgresAddress, sql: String?) {
        if let error = error as? PostgresError {
            self = error
            return
        }
        self.address = address
        self.sql = sql
        if let error = error as? PSQLError {
            // A connection closed by the server names why in the error it wraps (`FATAL: terminating connection …`).
            let server = error.serverInfo ?? (error.underlying as? PSQLError)?.serverInfo
            sqlState = server?[.sqlState]
            endsConnection = PostgresError.lostConnection.contains(error.code)
                || ["FATAL", "PANIC"].contains(server?[.severity] ?? "")
            if let serverMessage = server?[.message] {
                message = serverMessage
            } else if let underlying = error.underlying {
                message = "\(underlying)"
            } else {
                message = "\(error.code)"
            }
        } else {
            sqlState = nil
            message = "\(error)"
            endsConnection = false
        }
    }

    /// postgres-nio's codes of a connection that is gone.
    private static let lostConnection: Set<PSQLError.Code> = [.clientClosedConnection, .serverClosedConnection, .connectionError, .uncleanShutdown]

    /// An error of Larder's own finding in what the server sent (a storage error).
    init(message: String, address: PostgresAddress, endsConnection: Bool = false) {
        self.message = message
        self.address = address
        self.endsConnection = endsConnection
        sqlState = nil
        sql = ""
    }

    var description: String {
        let state = sqlState.map { " (SQLSTATE \($0))" } ?? ""
        if sql == nil { return "\(address): cannot connect: \(message)\(state)" }
        if sqlState == PostgresError.readOnlyTransaction {
            return "\(address): the database is read-only here (\(message)\(state)): a hot standby, or default_transaction_read_only; reading works, write through the primary"
        }
        return "\(address): \(message)\(state)"
    }

    /// SQLSTATE `unique_violation`: a row whose primary key is already in the table.
    static let uniqueViolation = "23505"

    /// SQLSTATE `read_only_sql_transaction`: a write on a hot standby, or in a read-only transaction.
    static let readOnlyTransaction = "25006"

    /// Cannot reach the server: an I/O error; the server refused a statement: a storage error.
    func larderError(store: String?) -> LarderError {
        LarderError(sql == nil ? .io : .storage, description, path: address.description)
    }
}
