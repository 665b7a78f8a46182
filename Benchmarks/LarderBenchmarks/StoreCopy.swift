import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private copy of a store (its file and its snapshot folder) for a
/// benchmark that writes, so that the original keeps the answers the other
/// benchmarks expect. ``remove()`` deletes it.
struct StoreCopy {
    /// The copy's store file.
    let path: String

    /// Copies `store` (with `STORE.cache` when present; a `-wal` that holds
    /// commits is copied too) to `folder/name`, replacing an older copy.
    init(of store: String, in folder: String, name: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + "/" + name
        remove()
        try FileManager.default.copyItem(atPath: store, toPath: path)
        for suffix in ["-wal", ".cache"] where FileManager.default.fileExists(atPath: store + suffix) {
            try FileManager.default.copyItem(atPath: store + suffix, toPath: path + suffix)
        }
        // Write the copy out now: otherwise the first fsync of the store (SQLite's first WAL
        // checkpoint, after a few hundred small writes) flushes the whole copied file, which took
        // 0.7 s for the 887 MB store, and lands in one write's time.
        sync()
    }

    /// Deletes the copy: its file, WAL, shared-memory file and snapshot folder.
    func remove() {
        for suffix in ["", "-wal", "-shm", "-journal", ".cache"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
