import Larder
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// A store on PostgreSQL as the user names it:
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` (or `postgresql://`).
/// The password may also come from `$PGPASSWORD`; it is never shown.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    /// The server's host name or address.
    public var host: String
    /// The server's port (5432 unless given).
    public var port: Int
    /// The user to connect as.
    public var user: String
    /// The password, if any.
    var password: String?
    /// The database that holds the store.
    public var database: String

    /// Whether `text` names a PostgreSQL store (starts with `postgres://` or `postgresql://`).
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Parses `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    ///
    /// Throws `invalidInput` naming what is missing or wrong.
    public init(parsing text: String) throws(LarderError) {
        let usage = "give it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        guard let scheme = ["postgres://", "postgresql://"].first(where: text.hasPrefix) else {
            throw LarderError(.invalidInput, "\"\(text)\" is not a PostgreSQL URL; \(usage)")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        if let query = rest.firstIndex(of: "?") { rest = rest[..<query] }
        guard let at = rest.lastIndex(of: "@") else { throw LarderError(.invalidInput, "the PostgreSQL URL names no user; \(usage)") }
        let credentials = rest[..<at], location = rest[rest.index(after: at)...]
        if let colon = credentials.firstIndex(of: ":") {
            user = String(credentials[..<colon])
            password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingIfValid
        } else {
            user = String(credentials)
            password = getenv("PGPASSWORD").map { String(cString: $0) }
        }
        guard let slash = location.firstIndex(of: "/") else { throw LarderError(.invalidInput, "the PostgreSQL URL names no database; \(usage)") }
        let hostPort = location[..<slash]
        database = String(location[location.index(after: slash)...])
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            let portText = hostPort[hostPort.index(after: colon)...]
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw LarderError(.invalidInput, "the PostgreSQL URL's port \"\(portText)\" is not a port number; \(usage)")
            }
            self.port = port
        } else {
            host = String(hostPort)
            port = 5432
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !user.isEmpty else { throw LarderError(.invalidInput, "the PostgreSQL URL names no user; \(usage)") }
        guard !host.isEmpty else { throw LarderError(.invalidInput, "the PostgreSQL URL names no host; \(usage)") }
        guard !database.isEmpty, !database.contains("/") else {
            throw LarderError(.invalidInput, "the PostgreSQL URL names no database; \(usage)")
        }
    }

    /// The URL without the password: how messages name the store.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)"
    }

    /// The connection settings (no TLS: loopback or a trusted network; see docs/scale-out.md).
    var configuration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }
}

extension String {
    /// The string with `%XX` escapes decoded, or itself when it has none or a bad one.
    fileprivate var removingPercentEncodingIfValid: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var utf8 = self.utf8[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return self }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
