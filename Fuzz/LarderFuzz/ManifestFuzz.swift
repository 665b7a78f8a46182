@testable import Larder

/// The training set manifest reader under fuzzing: JSON text (invalid UTF-8
/// replaced, as files are read) decoded into a ``TrainingSetManifest``; what
/// decodes must encode and decode again to an equal manifest.
public enum ManifestFuzz {
    /// Decodes `data`; traps only when an invariant breaks.
    public static func run(_ data: UnsafeRawBufferPointer) {
        let manifest: TrainingSetManifest
        do {
            manifest = try TrainingSetManifest.parse(json: String(decoding: data, as: UTF8.self), path: "fuzz.json")
        } catch {
            _ = error.description
            return
        }
        do {
            let again = try TrainingSetManifest.parse(json: try manifest.json(), path: "fuzz.json")
            invariant(again == manifest, "manifest does not round-trip")
        } catch {
            fatalError("invariant broken: a decoded manifest does not encode and decode again: \(error)")
        }
    }
}
