import Foundation
import Testing

/// The library's folders are layers that read one way (docs/architecture.md):
/// a file may use the types of its own layer and the layers below, never
/// those above. This test finds every type declared in `Sources/Larder`,
/// then every use of a type from a higher layer.
@Suite struct LayeringTests {
    /// The layers, lowest first; the files directly in `Sources/Larder` (the
    /// `FeatureStore` façade) are the top.
    static let layers: [[String]] = [
        ["Support"],
        ["Schema"],
        ["Statistics"],
        ["Registry"],
        ["Ingest", "Cache"],
        ["Query"],
        ["Export"],
        ["Storage", "SQLiteEngine"],
        [""],
        ["Quickstart"],
    ]

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/Larder").path

    /// The layer of a file, by the folder under `Sources/Larder` it is in.
    static func layer(of file: String) -> Int? {
        let folder = file.contains("/") ? String(file.split(separator: "/")[0]) : ""
        return layers.firstIndex { $0.contains(folder) }
    }

    /// The source text of a file without comments and string literals.
    static func code(_ text: String) -> String {
        var out = ""
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            lines.append(trimmed.hasPrefix("//") || trimmed.hasPrefix("import ") ? "" : line)
        }
        var inString = false, escaped = false
        for ch in lines.joined(separator: "\n") {
            if inString, escaped { escaped = false; continue }
            if inString, ch == "\\" { escaped = true; continue }
            if ch == "\"" { inString.toggle(); continue }
            if !inString { out.append(ch) }
        }
        return out
    }

    @Test func noFileUsesALayerAboveItsOwn() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.root).filter { $0.hasSuffix(".swift") }
        var declared: [String: (file: String, layer: Int)] = [:]
        let declaration = try Regex(#"(?:struct|enum|class|protocol|actor|typealias)\s+([A-Z][A-Za-z0-9_]*)"#)
        var texts: [String: String] = [:]
        for file in files {
            guard let layer = Self.layer(of: file) else {
                Issue.record("\(file) is in no layer: add its folder to LayeringTests.layers and docs/architecture.md")
                continue
            }
            let text = Self.code(try String(contentsOfFile: Self.root + "/" + file, encoding: .utf8))
            texts[file] = text
            for match in text.matches(of: declaration) {
                let name = String(text[match.output[1].range!])
                if let other = declared[name], other.layer != layer {
                    Issue.record("\(name) is declared in \(other.file) and \(file): give one of them another name")
                }
                declared[name] = (file, layer)
            }
        }
        // Simple word boundaries: `Type.member` is two words (Unicode word rules keep it one).
        let word = try Regex(#"\b[A-Z][A-Za-z0-9_]*\b"#).wordBoundaryKind(.simple)
        var violations: [String] = []
        for (file, text) in texts.sorted(by: { $0.key < $1.key }) {
            let layer = Self.layer(of: file)!
            var reported: Set<String> = []
            for match in text.matches(of: word) {
                let name = String(text[match.range])
                guard let target = declared[name], target.layer > layer, reported.insert(name).inserted else { continue }
                violations.append("\(file) uses \(name) (\(target.file)), a layer above")
            }
        }
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }
}
