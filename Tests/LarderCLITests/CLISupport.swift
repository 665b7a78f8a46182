import Foundation
@_exported import LarderTestSupport

/// The result of running the `larder` executable.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the `larder` executable built next to the test bundle.
enum CLI {
    /// The `larder` executable beside the test bundle.
    static let executable = builtProduct("larder")

    /// Runs `larder arguments…` and waits for it.
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> CLIResult {
        let process = start(arguments, environment: environment)
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let errData = ThreadSafeBox<Data>()
        let errThread = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
        errThread.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errData.value == nil { usleep(1_000) }
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.value!, as: UTF8.self))
    }

    /// A configured, not yet started `larder` process.
    static func start(_ arguments: [String], environment: [String: String] = [:]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "LARDER_STORE")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }
}

/// A value set once from another thread.
final class ThreadSafeBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
