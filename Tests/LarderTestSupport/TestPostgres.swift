import Foundation
import Synchronization

/// The PostgreSQL server the tests run the PostgreSQL engine against.
///
/// `$LARDER_TEST_POSTGRES` (a URL such as `postgres://postgres@127.0.0.1:5432/postgres`
/// whose user may create databases; `.ci/run` starts one) when set; else,
/// when PostgreSQL is installed (`initdb`, `pg_ctl` on `PATH` or in
/// `/usr/lib/postgresql/*/bin`), a throwaway cluster this test process
/// starts on loopback at a free port (data and socket in a temporary
/// folder; as the `postgres` user when run as root), stopped when the
/// process exits. Each test gets a database of its own (``newDatabase()``).
/// Snapshot files of PostgreSQL stores go to a temporary folder
/// (`$LARDER_CACHE_DIR`), not the user's cache.
public enum TestPostgres {
    /// Why no server could be had.
    public struct Unavailable: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// The server's URL (of its `postgres` database), or why there is none.
    private static let server: Result<URLComponents, Unavailable> = start()

    /// Whether the tests may leave PostgreSQL out: it is not installed, no
    /// server was given, and this is not CI (where it must be there).
    public static var skipped: Bool {
        if case .failure = server, ProcessInfo.processInfo.environment["CI"] == nil,
           ProcessInfo.processInfo.environment["LARDER_TEST_POSTGRES"] == nil, binary("initdb") == nil {
            return true
        }
        return false
    }

    /// A new, empty database on the server; returns its URL.
    public static func newDatabase() throws -> String {
        var url = try server.get()
        let name = "larder_test_\(counter.add(1, ordering: .relaxed).oldValue)_\(UInt32.random(in: 0...UInt32.max))"
        try psql(url, "CREATE DATABASE \(name)")
        url.path = "/" + name
        return url.string!
    }

    /// Runs `sql` on the database at `url` with `psql`.
    public static func psql(_ url: URLComponents, _ sql: String) throws {
        guard let psql = binary("psql") else { throw Unavailable(description: "psql is not installed") }
        let (status, output) = run([psql, url.string!, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        guard status == 0 else { throw Unavailable(description: "psql \(sql): \(output)") }
    }

    private static let counter = Atomic<Int>(0)

    /// The cluster this process started, stopped at exit.
    private nonisolated(unsafe) static var startedDataDirectory: String?

    private static func start() -> Result<URLComponents, Unavailable> {
        let cacheFolder = NSTemporaryDirectory() + "/larder-test-snapshots-\(getpid())"
        setenv("LARDER_CACHE_DIR", cacheFolder, 1)
        if let given = ProcessInfo.processInfo.environment["LARDER_TEST_POSTGRES"], !given.isEmpty {
            guard let url = URLComponents(string: given) else { return .failure(Unavailable(description: "LARDER_TEST_POSTGRES=\(given) is not a URL")) }
            return .success(url)
        }
        guard let initdb = binary("initdb"), let pgctl = binary("pg_ctl") else {
            return .failure(Unavailable(description: "PostgreSQL is not installed (no initdb/pg_ctl) and LARDER_TEST_POSTGRES is not set"))
        }
        var template = Array((NSTemporaryDirectory() + "/larder-pg-XXXXXX").utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        let asRoot = getuid() == 0
        if asRoot { _ = run(["/bin/chown", "postgres", folder]) }
        let prefix = asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
        let data = folder + "/data"
        var (status, output) = run(prefix + [initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        guard status == 0 else { return .failure(Unavailable(description: "initdb failed: \(output)")) }
        for _ in 0..<20 {
            let port = Int.random(in: 20_000...60_000)
            let settings = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=400"
            (status, output) = run(prefix + [pgctl, "-D", data, "-l", folder + "/log", "-o", settings, "-w", "start"])
            if status == 0 {
                startedDataDirectory = data
                atexit {
                    guard let data = TestPostgres.startedDataDirectory, let pgctl = TestPostgres.binary("pg_ctl") else { return }
                    let prefix = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : []
                    _ = TestPostgres.run(prefix + [pgctl, "-D", data, "-m", "immediate", "stop"])
                    try? FileManager.default.removeItem(atPath: (data as NSString).deletingLastPathComponent)
                }
                return .success(URLComponents(string: "postgres://postgres@127.0.0.1:\(port)/postgres")!)
            }
        }
        return .failure(Unavailable(description: "pg_ctl start failed: \(output)"))
    }

    /// The path of PostgreSQL's program `name`, on `PATH` or in Debian's folder.
    static func binary(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let debian = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).sorted().reversed()
            .map { "/usr/lib/postgresql/\($0)/bin" }
        for folder in path.split(separator: ":").map(String.init) + debian where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
            return folder + "/" + name
        }
        return nil
    }

    /// Runs `command` to its end; its exit status and output (both
    /// streams, through a file: a server that `pg_ctl` starts keeps what it
    /// inherits open, so a pipe would never reach its end).
    static func run(_ command: [String]) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let file = NSTemporaryDirectory() + "/larder-pg-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: file, contents: nil), let output = FileHandle(forWritingAtPath: file) else {
            return (-1, "cannot write \(file)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        process.standardOutput = output
        process.standardError = output
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        do { try process.run() } catch { return (-1, "\(error)") }
        process.waitUntilExit()
        try? output.close()
        return (process.terminationStatus, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
    }
}
