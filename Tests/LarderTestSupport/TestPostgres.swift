import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The PostgreSQL server the tests run the PostgreSQL engine against.
///
/// `$LARDER_TEST_POSTGRES` (a URL such as `postgres://postgres@127.0.0.1:5432/postgres`
/// whose user may create databases; `.ci/run` starts one) when set; else,
/// when PostgreSQL is installed (`initdb`, `pg_ctl` on `PATH` or in
/// `/usr/lib/postgresql/*/bin`), a throwaway cluster this test process
/// starts on loopback at a free port (data and socket in a temporary
/// folder; as the `postgres` user when run as root), stopped when the
/// process exits. The cluster is started on first use (``newDatabase()``),
/// once: deciding whether PostgreSQL is tested (``skipped``) starts nothing,
/// so listing the tests stays quick. Each test gets a database of its own.
/// Snapshot files of PostgreSQL stores go to a temporary folder
/// (`$LARDER_CACHE_DIR`), not the user's cache.
public enum TestPostgres {
    /// Why no server could be had.
    public struct Unavailable: Error, CustomStringConvertible {
        /// What went wrong.
        public let description: String
    }

    /// Whether the tests may leave PostgreSQL out: no server was given, it
    /// is not installed, and this is not CI (where it must be there). Cheap
    /// (it reads the environment and looks for `initdb`, starting nothing);
    /// when PostgreSQL is tested, it points `$LARDER_CACHE_DIR` at a
    /// temporary folder (the first time, as the engine list is made, before
    /// tests run).
    public static var skipped: Bool { !tested }

    /// Whether PostgreSQL is tested (see ``skipped``).
    private static let tested: Bool = {
        let environment = ProcessInfo.processInfo.environment
        guard environment["LARDER_TEST_POSTGRES"] != nil || environment["CI"] != nil || binary("initdb") != nil else { return false }
        let cacheFolder = NSTemporaryDirectory() + "/larder-test-snapshots-\(getpid())"
        setenv("LARDER_CACHE_DIR", cacheFolder, 1)
        atexit { try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + "/larder-test-snapshots-\(getpid())") }
        return true
    }()

    /// A new, empty database on the server (started now if it is this
    /// process's own and not yet running); returns its URL.
    public static func newDatabase() throws -> String {
        precondition(tested, "PostgreSQL is not tested here (TestPostgres.skipped)")
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

    /// The URL of database `database` (a URL of ``newDatabase()``) on a hot
    /// standby of the test server: a streaming replica (`pg_basebackup -R`)
    /// this process starts on first use, once, on loopback at a free port,
    /// and stops at exit. The server must allow replication connections
    /// (a cluster made by `initdb -A trust` does, as `.ci/run`'s and this
    /// process's own do).
    public static func standbyURL(of database: String) throws -> String {
        guard var url = URLComponents(string: database) else { throw Unavailable(description: "\(database) is not a URL") }
        let standby = try self.standby.get()
        url.host = standby.host
        url.port = standby.port
        return url.string!
    }

    /// The standby's URL (of its `postgres` database), or why there is none: started on first use, once.
    private static let standby: Result<URLComponents, Unavailable> = startStandby()

    private static func startStandby() -> Result<URLComponents, Unavailable> {
        let primary: URLComponents
        switch server {
        case .success(let url): primary = url
        case .failure(let error): return .failure(error)
        }
        guard let basebackup = binary("pg_basebackup"), let psql = binary("psql") else {
            return .failure(Unavailable(description: "pg_basebackup or psql is not installed"))
        }
        // A standby needs at least the primary's max_connections.
        var (status, output) = run([psql, primary.string!, "-Atc", "SHOW max_connections"])
        guard status == 0, let connections = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return .failure(Unavailable(description: "psql SHOW max_connections: \(output)"))
        }
        let (folder, prefix) = clusterFolder("larder-pg-standby")
        (status, output) = run(prefix + [basebackup, "-d", primary.string!, "-D", folder + "/data", "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
        guard status == 0 else { return .failure(Unavailable(description: "pg_basebackup failed: \(output)")) }
        return startCluster(folder: folder, prefix: prefix, settings: "-c fsync=off -c max_connections=\(connections)").map { port in
            standbyFolder = folder
            var url = primary
            url.host = "127.0.0.1"
            url.port = port
            return url
        }
    }

    /// The folder of the standby this process started.
    private nonisolated(unsafe) static var standbyFolder: String?

    /// The server log of the standby this process started (``standbyURL(of:)``).
    public static var standbyLog: String? { standbyFolder.map { $0 + "/log" } }

    /// The server's URL (of its `postgres` database), or why there is none:
    /// started on first use, once (callers meanwhile wait for it).
    private static let server: Result<URLComponents, Unavailable> = start()

    private static let counter = Atomic<Int>(0)

    private static func start() -> Result<URLComponents, Unavailable> {
        if let given = ProcessInfo.processInfo.environment["LARDER_TEST_POSTGRES"], !given.isEmpty {
            guard let url = URLComponents(string: given) else { return .failure(Unavailable(description: "LARDER_TEST_POSTGRES=\(given) is not a URL")) }
            return .success(url)
        }
        guard let initdb = binary("initdb"), binary("pg_ctl") != nil else {
            return .failure(Unavailable(description: "PostgreSQL is not installed (no initdb/pg_ctl) and LARDER_TEST_POSTGRES is not set"))
        }
        let (folder, prefix) = clusterFolder("larder-pg")
        let (status, output) = run(prefix + [initdb, "-D", folder + "/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        guard status == 0 else { return .failure(Unavailable(description: "initdb failed: \(output)")) }
        return startCluster(folder: folder, prefix: prefix, settings: "-c fsync=off -c synchronous_commit=off -c max_connections=400")
            .map { URLComponents(string: "postgres://postgres@127.0.0.1:\($0)/postgres")! }
    }

    /// A new temporary folder for a cluster (its data, socket and log),
    /// owned by the `postgres` user when this runs as root, and the prefix
    /// that runs a program as that user then.
    private static func clusterFolder(_ name: String) -> (folder: String, prefix: [String]) {
        var template = Array((NSTemporaryDirectory() + "/\(name)-XXXXXX").utf8CString)
        let folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        guard getuid() == 0 else { return (folder, []) }
        _ = run(["/bin/chown", "postgres", folder])
        return (folder, runAsPostgres)
    }

    /// How a program runs as the `postgres` user (when this runs as root).
    private static let runAsPostgres = ["/usr/sbin/runuser", "-u", "postgres", "--"]

    /// Starts the cluster in `folder`/data on loopback at a free port with
    /// `settings` (more `-c` options), its log in `folder`/log; stopped and
    /// its folder removed when the process exits. Its port, or why not.
    private static func startCluster(folder: String, prefix: [String], settings: String) -> Result<Int, Unavailable> {
        guard let pgctl = binary("pg_ctl") else { return .failure(Unavailable(description: "pg_ctl is not installed")) }
        var output = ""
        for _ in 0..<20 {
            let port = Int.random(in: 20_000...60_000)
            let options = "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 \(settings)"
            let status: Int32
            (status, output) = run(prefix + [pgctl, "-D", folder + "/data", "-l", folder + "/log", "-o", options, "-w", "start"])
            if status == 0 {
                startedFolders.withLock { folders in
                    if folders.isEmpty { atexit { TestPostgres.stopClusters() } }
                    folders.append(folder)
                }
                return .success(port)
            }
        }
        return .failure(Unavailable(description: "pg_ctl start failed: \(output)"))
    }

    /// The folders of the clusters this process started, in starting order.
    private static let startedFolders = Mutex<[String]>([])

    /// Stops every cluster this process started, the last started first (a standby before its primary), and removes its folder.
    private static func stopClusters() {
        guard let pgctl = binary("pg_ctl") else { return }
        for folder in startedFolders.withLock({ $0 }).reversed() {
            _ = run((getuid() == 0 ? runAsPostgres : []) + [pgctl, "-D", folder + "/data", "-m", "immediate", "stop"])
            try? FileManager.default.removeItem(atPath: folder)
        }
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

    /// Runs `command` to its end; its exit status and output (both streams,
    /// through a file). Spawned with every descriptor but those three closed
    /// and waited for with `waitpid`, not with Foundation's `Process`: the
    /// server `pg_ctl start` leaves running inherits what its parent has
    /// open, and `Process` knows its child has ended only when a socket it
    /// hands the child is closed by every process holding it — never, while
    /// the server runs (the tests hung in `waitUntilExit`).
    static func run(_ command: [String]) -> (Int32, String) {
        let file = NSTemporaryDirectory() + "/larder-pg-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: file) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // GNU extensions of glibc (2.34 on) that Swift's Glibc module does not import.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
              let changeDirectory = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else {
            return (-1, "this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later is needed)")
        }
        _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        _ = unsafeBitCast(changeDirectory, to: ChangeDirectory.self)(&actions, "/")
        let arguments = command.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, command[0], &actions, nil, arguments, environ)
        guard spawned == 0 else { return (-1, "cannot run \(command[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { return (-1, "waitpid \(command[0]): \(String(cString: strerror(errno)))") }
        }
        let output = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        // Exited normally: its exit code; killed by a signal: -signal.
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : -(status & 0x7f), output)
    }
}
