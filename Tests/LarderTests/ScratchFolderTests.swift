import Foundation
import Testing
@testable import Larder

/// A scratch folder that a killed process left behind is removed by the
/// next one made beside it; a folder whose process lives, one without an
/// owner yet, and a link are left alone.
@Suite struct ScratchFolderTests {
    let dir = TemporaryDirectory()

    /// The scratch folders in the test's folder, by name.
    func scratchFolders() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(ScratchFolder.prefix) })
    }

    /// A folder `name` holding `files`, as a killed process leaves one: its `owner` file unlocked.
    func abandoned(_ name: String, files: [String]) throws -> String {
        let path = dir.file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        for file in files { try Data("rows".utf8).write(to: URL(fileURLWithPath: path + "/" + file)) }
        return path
    }

    @Test func aFolderLeftByAKilledProcessIsRemovedByTheNextOne() throws {
        let dead = try abandoned("larder-spill-dead01", files: [ScratchFolder.ownerFile, "part-0", "keys-0"])
        let living = try ScratchFolder(parent: dir.path)
        _ = try living.file(named: "part-0")
        #expect(try scratchFolders() == [URL(fileURLWithPath: living.path).lastPathComponent])
        #expect(!FileManager.default.fileExists(atPath: dead))

        // The living folder's owner is locked: a second folder leaves it (and its files) alone.
        let second = try ScratchFolder(parent: dir.path)
        #expect(try scratchFolders().count == 2)
        #expect(FileManager.default.fileExists(atPath: living.path + "/part-0"))
        second.remove()
        living.remove()
        #expect(try scratchFolders().isEmpty)
    }

    @Test func aFolderWithoutAnOwnerOrALinkIsLeftAlone() throws {
        let making = try abandoned("larder-spill-making", files: ["owner.new"])
        let target = try abandoned("elsewhere", files: [ScratchFolder.ownerFile, "precious"])
        try FileManager.default.createSymbolicLink(atPath: dir.file("larder-spill-link01"), withDestinationPath: target)
        let folder = try ScratchFolder(parent: dir.path)
        #expect(FileManager.default.fileExists(atPath: making + "/owner.new"), "no owner yet: being made")
        #expect(FileManager.default.fileExists(atPath: target + "/precious"), "a link is not followed")
        #expect(try scratchFolders().count == 3)
        folder.remove()
    }
}
