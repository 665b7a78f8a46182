import Foundation

/// The path of the executable `name` that `swift build` put beside the
/// running test bundle (`swift test` runs `<products>/larderPackageTests.xctest`,
/// a file on Linux, so the products folder is found by walking up from it).
public func builtProduct(_ name: String) -> String {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while !FileManager.default.isExecutableFile(atPath: url.deletingLastPathComponent().appendingPathComponent(name).path),
          url.pathComponents.count > 1 {
        url = url.deletingLastPathComponent()
    }
    return url.deletingLastPathComponent().appendingPathComponent(name).path
}

/// Runs `executable arguments…` to the end, standard output discarded: its
/// exit status and standard error.
public func runToEnd(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
