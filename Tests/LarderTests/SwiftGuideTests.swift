import Foundation
import Testing
import Larder

/// docs/swift.md's program is `swiftGuideExample`: it compiles with the
/// package, runs, and the guide shows exactly its code.
@Suite struct SwiftGuideTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The lines between `start` and `end` (exclusive) of `text`, each without the first `indent` spaces.
    static func lines(of text: String, from start: String, to end: String, dropping indent: Int) -> [String] {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = all.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == start }),
              let last = all[(first + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == end }) else { return [] }
        return all[(first + 1)..<last].map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " }.count))) }
    }

    @Test func theGuideIsTheCompiledProgramAndItRuns() throws {
        let guide = try String(contentsOfFile: Self.root + "/docs/swift.md", encoding: .utf8)
        let example = try String(contentsOfFile: Self.root + "/Tests/LarderTests/SwiftGuideExample.swift", encoding: .utf8)
        let shown = Self.lines(of: guide, from: "import Larder", to: "```", dropping: 0).drop { $0.isEmpty }
        let compiled = Self.lines(of: example, from: "// BEGIN GUIDE", to: "// END GUIDE", dropping: 4)
        #expect(!compiled.isEmpty)
        #expect(Array(shown) == compiled, "docs/swift.md's code block differs from SwiftGuideExample.swift")
        let dir = TemporaryDirectory()
        let result = try swiftGuideExample(storePath: dir.file("larder.db"))
        #expect(result.trainingRows == 1)
        #expect(result.conversion == 0.5)
        #expect(result.batchConversions == [0.5, 0.75])
    }
}
