import Foundation
import Testing
@testable import Larder

/// A folder of manifests offers and reads only its own regular `.json`
/// files: names that are paths, links or other files are never opened.
@Suite struct ManifestFolderTests {
    let dir = TemporaryDirectory()

    static let manifest = TrainingSetManifest(createdAt: "2026-11-26T10:00:00Z", features: ["driver_stats@2:conv_rate"], fullNames: false,
                                              asOf: "2026-11-26T10:00:00Z", spine: nil, spineSHA256: nil, at: "2026-11-26T09:00:00Z",
                                              columns: ["driver_id", "conv_rate"], rows: 3, resultSHA256: String(repeating: "a", count: 64))

    @Test func offersAndReadsOnlyItsOwnJSONFiles() throws {
        let folder = dir.file("manifests")
        try FileManager.default.createDirectory(atPath: folder + "/sub.json", withIntermediateDirectories: true)
        let text = try Self.manifest.json()
        _ = try dir.write("manifests/train.json", text)
        _ = try dir.write("manifests/notes.txt", text)
        _ = try dir.write("manifests/.hidden.json", text)
        _ = try dir.write("outside.json", text)
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.json", withDestinationPath: dir.file("outside.json"))
        let manifests = try ManifestFolder(path: folder)
        #expect(manifests.names() == ["train.json"])
        #expect(try manifests.manifest(named: "train.json") == TrainingSetManifest.parse(json: text, path: "x"))
        #expect(try manifests.manifest(named: "train.json").baseline(of: "driver_stats", path: "train.json").version == 2)
        for name in ["notes.txt", ".hidden.json", "link.json", "sub.json", "../outside.json", dir.file("outside.json"), "", "nope.json"] {
            #expect(throws: LarderError.self, "\(name)") { try manifests.manifest(named: name) }
            do { _ = try manifests.manifest(named: name) } catch { #expect(error.category == .notFound, "\(name): \(error)") }
        }
        _ = try dir.write("manifests/broken.json", "{")
        #expect(throws: LarderError.self) { try manifests.manifest(named: "broken.json") }
        #expect(throws: LarderError.self) { try ManifestFolder(path: dir.file("outside.json")) }
        #expect(throws: LarderError.self) { try ManifestFolder(path: dir.file("missing")) }
    }
}
