#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a backfill's shell command for one interval: `/bin/sh -c
/// LINE` in a process group of its own, standard input from `/dev/null`,
/// standard output and standard error into files, killed (the whole
/// group) when it outlives its timeout.
struct IntervalCommand {
    /// The command line, placeholders expanded.
    let line: String
    /// Variables added to this process's environment.
    let environment: [(String, String)]
    /// Seconds before the group is killed; nil waits for ever.
    let timeoutSeconds: Double?

    /// How the command ended.
    enum Ending: Equatable {
        case exited(Int32)
        case signalled(Int32)
        case timedOut
    }

    /// Bytes of standard error a failure message keeps (the end of it).
    static let stderrTail = 2_000

    /// Runs the command to its end, its output into `stdoutPath` and `stderrPath`.
    func run(stdoutPath: String, stderrPath: String) throws(LarderError) -> Ending {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own group (so a timeout kills the pipeline it starts), default
        // handling of the signals larder ignores (SIGXFSZ).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGXFSZ)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)

        var variables: [String] = []
        let added = Set(environment.map(\.0))
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "="), !added.contains(String(text[..<equals])) { variables.append(text) }
            cursor += 1
        }
        variables += environment.map { "\($0.0)=\($0.1)" }
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", line].map { (text: String) in strdup(text) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { (text: String) in strdup(text) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw .io(path: "/bin/sh", message: "cannot start the command: \(String(cString: strerror(spawned)))") }

        let deadline = timeoutSeconds.map { Timestamp.nowMicroseconds() + Int64($0 * 1_000_000) }
        var status: Int32 = 0
        var pause: UInt32 = 1_000
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0, errno != EINTR { throw .io(path: "/bin/sh", message: "cannot wait for the command: \(FilePath.lastError())") }
            if let deadline, Timestamp.nowMicroseconds() >= deadline {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                return .timedOut
            }
            usleep(pause)
            pause = min(pause * 2, 20_000)
        }
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }

    /// The last ``stderrTail`` bytes of the file at `path` (empty when unreadable).
    static func tail(of path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        let start = max(0, size - off_t(stderrTail))
        var bytes = [UInt8](repeating: 0, count: Int(size - start))
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, start) }
        return String(decoding: bytes.prefix(max(0, n)), as: UTF8.self)
    }
}
