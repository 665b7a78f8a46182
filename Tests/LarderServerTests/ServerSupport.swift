import Foundation
import LarderTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The `larder` executable built next to the test bundle.
enum Larder {
    static let executable = builtProduct("larder")

    /// Runs `larder arguments…` to the end; its status and standard error.
    @discardableResult
    static func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        try runToEnd(executable, arguments)
    }
}

/// A store with the §6 example definitions and 3 drivers × 3 hours of rows
/// (driver 1001's latest row at `latest`).
struct TestStore {
    let dir = TemporaryDirectory()
    var path: String { dir.file("larder.db") }
    static let latest = "2026-11-26T12:00:00.000000Z"
    /// The example definitions without a TTL: online reads happen now, and
    /// the rows' fixed dates must not fall out of a 7-day window as the
    /// calendar moves on.
    static let definitions = exampleDefinitions.replacingOccurrences(of: "ttl: 7d", with: "ttl: 0")

    init() throws {
        let defs = try dir.write("defs.yaml", TestStore.definitions)
        var csv = "driver_id,event_timestamp,conv_rate,acc_rate,avg_daily_trips,city\n"
        for driver in 1001...1003 {
            for hour in 10...12 { csv += "\(driver),2026-11-26T\(hour):00:00Z,0.\(driver % 10)\(hour),0.5,\(hour),paris\n" }
        }
        let data = try dir.write("data.csv", csv)
        for arguments in [["init"], ["apply", defs], ["backfill", "driver_stats", "--input", data]] {
            let result = try Larder.run(arguments + ["--store", path])
            guard result.status == 0 else { throw TestFailure("larder \(arguments) failed: \(result.stderr)") }
        }
    }
}

/// A failure with a message.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A `larder serve` process on an ephemeral loopback port; its standard
/// error (the access log) goes to a file. Stopped with SIGTERM on deinit.
final class ServerProcess: LoopbackServer {
    let process = Process()
    let logPath: String
    private(set) var port: UInt16 = 0

    convenience init(store: TestStore, extra: [String] = []) throws {
        try self.init(path: store.path, directory: store.dir, extra: extra)
    }

    /// `larder serve` on the store at `path`, its log in `directory`.
    init(path: String, directory: TemporaryDirectory, extra: [String] = []) throws {
        logPath = directory.file("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Larder.executable)
        process.arguments = ["serve", "--store", path, "--port", "0"] + extra
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let line = log.split(separator: "\n").first(where: { $0.contains("serving") && $0.contains("http://") }),
               let port = line.split(separator: ":").last.flatMap({ UInt16($0) }) {
                self.port = port
                return
            }
            guard process.isRunning else { throw TestFailure("larder serve exited \(process.terminationStatus): \(log)") }
            usleep(20_000)
        }
        throw TestFailure("larder serve did not start: \(log)")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    /// What the server has written to standard error.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The server's resident memory, in bytes.
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

/// A server listening on a loopback port, called through raw sockets (a
/// `larder serve` process, or an application of the test's own).
protocol LoopbackServer {
    /// The port it listens on.
    var port: UInt16 { get }
}

extension LoopbackServer {
    /// Sends `method path` with `headers` and `body` and reads the whole reply.
    func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        return try raw(Array((head + "\r\n").utf8) + body)
    }

    /// A JSON POST.
    func post(_ path: String, json: String, headers: [String: String] = [:]) throws -> Reply {
        try request("POST", path, headers: ["Content-Type": "application/json"].merging(headers) { $1 }, body: Array(json.utf8))
    }

    /// Sends `bytes` as they are (in `pieces` writes, `pause` apart) and
    /// reads the reply until the server closes the connection.
    func raw(_ bytes: [UInt8], pieces: Int = 1, pause: useconds_t = 0) throws -> Reply {
        let socket = try Socket(port: port)
        let size = max(1, (bytes.count + pieces - 1) / pieces)
        // Sent from another thread while this one reads, as a real client
        // does: a server may answer (a 413) before it has read everything.
        let sender = Thread {
            for start in stride(from: 0, to: bytes.count, by: size) {
                guard socket.send(Array(bytes[start..<min(start + size, bytes.count)])) else { break }
                if pause > 0 { usleep(pause) }
            }
        }
        sender.start()
        let reply = Reply(parsing: socket.readAll())
        shutdown(socket.fd, Int32(SHUT_RDWR))
        while sender.isExecuting { usleep(1_000) }
        return reply
    }
}

/// An HTTP reply: status, headers (lowercased names), body (de-chunked).
struct Reply {
    var status = 0
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var text: String { String(decoding: body, as: UTF8.self) }

    init(parsing bytes: [UInt8]) {
        guard let end = bytes.indices.first(where: { $0 + 3 < bytes.count && bytes[$0..<$0 + 4].elementsEqual([13, 10, 13, 10]) }) else { return }
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        status = Int(lines[0].split(separator: " ").dropFirst().first ?? "") ?? 0
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let rest = Array(bytes[(end + 4)...])
        body = headers["transfer-encoding"] == "chunked" ? Reply.dechunk(rest) : rest
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], i = 0
        while i < bytes.count {
            guard let lineEnd = (i..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                  let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16), size > 0 else { break }
            out += bytes[(lineEnd + 2)..<min(lineEnd + 2 + size, bytes.count)]
            i = lineEnd + 2 + size + 2
        }
        return out
    }

    /// The body as a JSON object.
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }

    /// `error.code` of a JSON error body.
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

/// A blocking TCP connection to the loopback address, with a 20 s read timeout.
final class Socket: @unchecked Sendable {
    let fd: Int32

    init(port: UInt16) throws {
        fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw TestFailure("cannot connect to port \(port): errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(fd) }

    /// Writes all of `bytes`; false when the peer has closed.
    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Reads until the peer closes (or the timeout).
    func readAll() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }
}
