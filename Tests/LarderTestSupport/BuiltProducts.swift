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
