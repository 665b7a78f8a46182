import Foundation
import Testing

/// Every public symbol of the library has a doc comment: a `///` line right
/// above its declaration (above its attributes, if any).
@Suite struct PublicDocumentationTests {
    @Test func everyPublicDeclarationIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/Larder").path
        let declaration = try Regex(#"^\s*(@\w+(\([^)]*\))?\s+)*public\b"#)
        let skipped = try Regex(#"^\s*public\s+(import|extension)\b"#)
        var undocumented: [String] = []
        for file in try FileManager.default.subpathsOfDirectory(atPath: root).filter({ $0.hasSuffix(".swift") }).sorted() {
            let lines = try String(contentsOfFile: root + "/" + file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (i, line) in lines.enumerated() where line.firstMatch(of: declaration) != nil && line.firstMatch(of: skipped) == nil {
                var above = i - 1
                while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("@") { above -= 1 }
                if above < 0 || !lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("///") {
                    undocumented.append("\(file):\(i + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(undocumented.isEmpty, "public symbols without a doc comment:\n\(undocumented.joined(separator: "\n"))")
    }
}
