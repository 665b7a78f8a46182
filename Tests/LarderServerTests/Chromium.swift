import Foundation
import LarderTestSupport

/// Headless Chromium driven from the command line: the DOM after load
/// (`--dump-dom`), the console messages it logged, and screenshots.
enum Chromium {
    /// The browser's path: `$LARDER_CHROMIUM`, or `chromium` / `chromium-browser` / `google-chrome` on `PATH`.
    static let executable: String? = {
        if let given = ProcessInfo.processInfo.environment["LARDER_CHROMIUM"], FileManager.default.isExecutableFile(atPath: given) { return given }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        }
        return nil
    }()

    /// Whether the browser tests run: when Chromium is found, and always in CI (where a missing browser fails them).
    static var shouldRun: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// What one page load gave.
    struct Load {
        /// The serialized DOM after load.
        var dom: String
        /// The console messages logged (`CONSOLE` lines of the browser's log).
        var console: [String]
    }

    private static func run(_ arguments: [String], profile: TemporaryDirectory) throws -> (stdout: String, stderr: String) {
        guard let executable else { throw TestFailure("chromium was not found (install Debian's chromium package, or set LARDER_CHROMIUM)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--disable-dev-shm-usage", "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0",
                             "--virtual-time-budget=2000"] + arguments
        let out = profile.file("stdout-\(UUID().uuidString)"), err = profile.file("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        try process.run()
        process.waitUntilExit()
        let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else { throw TestFailure("chromium \(arguments) exited \(process.terminationStatus): \(stderr.suffix(2000))") }
        return (stdout, stderr)
    }

    /// Loads `url` and returns its DOM and console messages.
    static func load(_ url: String, profile: TemporaryDirectory) throws -> Load {
        let (stdout, stderr) = try run(["--dump-dom", url], profile: profile)
        return Load(dom: stdout, console: stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init))
    }

    /// Writes a PNG screenshot of `url` at `width` × `height` to `path`.
    static func screenshot(_ url: String, to path: String, width: Int = 1280, height: Int = 1000, profile: TemporaryDirectory) throws {
        _ = try run(["--screenshot=\(path)", "--window-size=\(width),\(height)", "--hide-scrollbars", url], profile: profile)
    }
}

/// What a PNG holds: its size, and how many different byte values its
/// (filtered) pixel data has — one or two for a blank page, many for a drawn one.
struct PNGFacts {
    var width = 0, height = 0, distinctBytes = 0

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 24, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw TestFailure("\(path) is not a PNG")
        }
        func be32(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        width = be32(16)
        height = be32(20)
        // Inflating needs zlib: Python's, the one interpreter CI installs.
        let python = ProcessInfo.processInfo.environment["LARDER_PYTHON"] ?? "/usr/bin/python3"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", """
            import sys, zlib, struct
            d = open(sys.argv[1], 'rb').read(); i = 8; idat = b''
            while i < len(d):
                n, kind = struct.unpack('>I4s', d[i:i+8]); i += 8
                if kind == b'IDAT': idat += d[i:i+n]
                i += n + 4
            print(len(set(zlib.decompress(idat))))
            """, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        distinctBytes = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
