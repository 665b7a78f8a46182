import Foundation

/// A folder of training-set manifests (`larder historical --manifest`)
/// that others may choose from by name — the web UI's drift baselines
/// (`larder serve --manifests DIR`). Only the regular files directly in
/// the folder whose names end in `.json` are offered, and only those are
/// read: a name that is not one of them (a path, `..`, a link, a file
/// elsewhere) is never opened.
public struct ManifestFolder: Sendable {
    /// The folder.
    public let path: String

    /// The longest manifest name read.
    public static let maxNameLength = 255

    /// The folder at `path`; fails with ``LarderError/Category/invalidInput``
    /// when it is not a folder that can be listed.
    public init(path: String) throws(LarderError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
              (try? FileManager.default.contentsOfDirectory(atPath: path)) != nil else {
            throw .invalidInput("\(path): not a folder of manifests that can be read")
        }
        self.path = path
    }

    /// The manifests' names, sorted: the regular files (not links, not
    /// folders) directly in the folder whose names end in `.json`.
    ///
    /// - Complexity: one listing of the folder.
    public func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return entries.filter { name in
            guard name.hasSuffix(".json"), !name.hasPrefix("."), name.utf8.count <= Self.maxNameLength else { return false }
            let type = (try? FileManager.default.attributesOfItem(atPath: path + "/" + name))?[.type] as? FileAttributeType
            return type == .typeRegular
        }.sorted()
    }

    /// The manifest named `name`, one of ``names()``.
    ///
    /// - Throws: ``LarderError/Category/notFound`` when `name` is not one of
    ///   them; ``LarderError/Category/invalidInput`` when the file is not a manifest.
    public func manifest(named name: String) throws(LarderError) -> TrainingSetManifest {
        guard names().contains(name) else {
            throw .notFound("no manifest \"\(name.prefix(80))\" in the manifests folder (its .json files are offered)")
        }
        return try TrainingSetManifest.load(path: path + "/" + name)
    }
}
