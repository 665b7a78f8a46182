#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The cache folder beside a store (`larder.db.cache/`): one snapshot file
/// per cached view version, `VIEW@N-RUN.snap`, holding its rows up to run
/// `RUN` (see ``SnapshotHeader`` for the layout).
///
/// Snapshot files are derived data. A file that is missing, damaged,
/// truncated, of another format, of another view version (dropped and
/// created again) or newer than the store (a store restored from a copy) is
/// passed over — the view is then loaded from the store — and never changes
/// an answer. A new file is written beside the old ones as a temporary file,
/// flushed, its arrays' checksums verified, then renamed into place, so it
/// appears complete or not at all; the files it replaces are removed (a
/// process that still maps one keeps reading it until it lets go).
struct SnapshotFiles: Sendable {
    /// The folder: `STORE.cache` beside a SQLite store, a local folder
    /// for a server-based engine's (see ``FeatureStore/snapshotFolder``).
    let folder: String
    /// Where to say what happened (`--verbose`), or `nil`.
    let log: (@Sendable (String) -> Void)?

    /// The cache folder `folder`.
    init(folder: String, log: (@Sendable (String) -> Void)?) {
        self.folder = folder
        self.log = log
    }

    /// The file name prefix of `view`'s snapshots.
    private static func prefix(_ view: FeatureView) -> String { "\(view.name)@\(view.version)-" }

    /// The path of `view`'s snapshot up to run `lastRun`.
    func path(of view: FeatureView, lastRun: Int64) -> String {
        "\(folder)/\(SnapshotFiles.prefix(view))\(lastRun).snap"
    }

    /// The names of the files in the folder (none when it does not exist).
    func names() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    /// The view name, version and last run a snapshot file's name gives
    /// (`VIEW@N-RUN.snap`), or `nil` for another name.
    static func parse(_ name: String) -> (view: String, version: Int, lastRun: Int64)? {
        guard name.hasSuffix(".snap"), let at = name.lastIndex(of: "@"), let dash = name.lastIndex(of: "-"), at < dash,
              let version = Int(name[name.index(after: at)..<dash]),
              let lastRun = Int64(name[name.index(after: dash)...].dropLast(5)) else { return nil }
        return (String(name[..<at]), version, lastRun)
    }

    /// The snapshot files of `view`, newest (greatest last run) first.
    private func candidates(of view: FeatureView) -> [(path: String, lastRun: Int64)] {
        let prefix = SnapshotFiles.prefix(view)
        return names().compactMap { name -> (String, Int64)? in
            guard name.hasPrefix(prefix), name.hasSuffix(".snap"),
                  let run = Int64(name.dropFirst(prefix.count).dropLast(5)) else { return nil }
            return ("\(folder)/\(name)", run)
        }.sorted { $0.1 > $1.1 }
    }

    /// The newest usable snapshot of `view`, mapped; `runs` (the store's
    /// runs now) tells a file newer than the store or from another history
    /// (its last run missing, or committed at another time).
    ///
    /// - Complexity: a directory listing and a header check per file tried.
    func open(_ view: FeatureView, runs: RunTable) -> ViewSnapshot? {
        for (path, lastRun) in candidates(of: view) {
            switch Self.read(path, view: view) {
            case .failure(let problem):
                log?("snapshot \(path) not used: \(problem)")
            case .success(let snapshot):
                guard Self.matches(snapshot, lastRun: lastRun, runs: runs) else {
                    log?("snapshot \(path) not used: \(Self.stale)")
                    continue
                }
                return snapshot
            }
        }
        return nil
    }

    /// Why a snapshot that ``matches(_:lastRun:runs:)`` refuses is not used.
    static let stale = "it does not match the store's runs (stale)"

    /// Whether `snapshot`, from the file named for run `lastRun`, covers
    /// the store whose runs are `runs`: its last run is the one its name
    /// gives, exists in the store (not newer than it) and committed at the
    /// time the snapshot recorded (not another history of the store).
    static func matches(_ snapshot: ViewSnapshot, lastRun: Int64, runs: RunTable) -> Bool {
        let committed = lastRun == 0 ? 0 : runs.commitTime(of: lastRun)
        return snapshot.lastRun == lastRun && lastRun <= runs.maxID && committed == snapshot.lastRunCommittedAt
    }

    /// What is wrong with the file `name` of the folder, checked
    /// completely — its name, its view version in `registry`, its header,
    /// every array against its checksum, its last run against `runs` — or
    /// `nil` when it is a sound, current snapshot.
    func check(_ name: String, registry: RegistrySnapshot, runs: RunTable) -> String? {
        guard let (viewName, version, lastRun) = Self.parse(name) else {
            return name.contains(".tmp-") ? "an unfinished write" : "not a snapshot file"
        }
        guard let view = try? registry.view(viewName, version: version) else { return "its view version no longer exists" }
        switch Self.read("\(folder)/\(name)", view: view) {
        case .failure(let problem): return problem.description
        case .success(let snapshot):
            if let problem = Self.verifyArrays(snapshot.region) { return problem }
            return Self.matches(snapshot, lastRun: lastRun, runs: runs) ? nil : Self.stale
        }
    }

    /// Removes every file of the folder, then the folder.
    ///
    /// - Returns: the number of files removed.
    func removeAll() throws(LarderError) -> Int {
        var removed = 0
        for name in names() {
            let path = "\(folder)/\(name)"
            guard unlink(path) == 0 else { throw .io(path: path, message: "cannot remove: \(FilePath.lastError())") }
            removed += 1
        }
        if FilePath.isDirectory(folder), rmdir(folder) != 0 {
            throw .io(path: folder, message: "cannot remove: \(FilePath.lastError())")
        }
        return removed
    }

    /// The snapshot file at `path` mapped and its header checked against
    /// `view`: read page by page while checked, then advised for scans.
    static func read(_ path: String, view: FeatureView) -> Result<ViewSnapshot, SnapshotHeader.Problem> {
        guard let region = Region.map(path: path) else { return .failure(.tooShort) }
        switch SnapshotHeader.decode(region) {
        case .failure(let problem): return .failure(problem)
        case .success(let header):
            guard header.viewID == view.id, header.viewCreatedAt == view.createdAt.microseconds else {
                return .failure(.inconsistent("another view version's snapshot (dropped and created again)"))
            }
            guard header.fingerprint == SnapshotHeader.fingerprint(of: view) else {
                return .failure(.inconsistent("the view's columns differ"))
            }
            do {
                let snapshot = try ViewSnapshot(view: view, region: region, header: header)
                region.advise(.scans)
                return .success(snapshot)
            } catch {
                return .failure(error)
            }
        }
    }

    /// Writes `image` as a snapshot file, verifies it, maps it, and removes
    /// the view version's older files.
    ///
    /// - Returns: the mapped snapshot, or `nil` when the file could not be
    ///   written (a read-only folder, a full disk: said through ``log``);
    ///   the caller then keeps the image in memory.
    func write(_ image: SnapshotImage) -> ViewSnapshot? {
        let view = image.view, target = path(of: view, lastRun: image.header.lastRun)
        if mkdir(folder, 0o777) != 0, errno != EEXIST {
            log?("snapshot of \(view.qualifiedName) kept in memory: cannot create \(folder): \(FilePath.lastError())")
            return nil
        }
        removeAbandonedWrites(of: view)
        do {
            let file = try PendingFile(target: target)
            var failed = false
            image.forEachPiece { piece in
                var at = 0
                while !failed, at < piece.count {
                    let written = writeBytes(file.descriptor, piece.baseAddress! + at, piece.count - at)
                    if written <= 0 { failed = true } else { at += written }
                }
            }
            if failed { throw LarderError.io(path: target, message: "cannot write: \(FilePath.lastError())") }
            if let problem = SnapshotFiles.verify(file.temporaryPath, view: view) {
                throw LarderError.io(path: target, message: "read back differently: \(problem)")
            }
            try file.commit()
        } catch {
            log?("snapshot of \(view.qualifiedName) kept in memory: \(error)")
            return nil
        }
        for (path, lastRun) in candidates(of: view) where lastRun != image.header.lastRun { unlink(path) }
        guard case .success(let snapshot) = Self.read(target, view: view) else { return nil }
        log?("snapshot of \(view.qualifiedName) written: \(target) (\(image.rowCount) rows, \(image.byteCount) bytes)")
        return snapshot
    }

    /// Removes temporary files of `view`'s snapshots left by a process that
    /// was killed while writing one (older than ten minutes: a write in
    /// progress elsewhere is left alone).
    private func removeAbandonedWrites(of view: FeatureView) {
        let prefix = "." + SnapshotFiles.prefix(view)
        let cutoff = Date().addingTimeInterval(-600)
        for name in names() where name.hasPrefix(prefix) && name.contains(".snap.tmp-") {
            let path = "\(folder)/\(name)"
            if let modified = try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date, modified < cutoff {
                unlink(path)
            }
        }
    }

    /// Checks the file at `path` completely: its header against `view`, and
    /// every array against its checksum.
    ///
    /// - Returns: what is wrong, or `nil` when the file is sound.
    static func verify(_ path: String, view: FeatureView) -> String? {
        switch read(path, view: view) {
        case .failure(let problem): return problem.description
        case .success(let snapshot): return verifyArrays(snapshot.region)
        }
    }

    /// Checks every array of a snapshot file's bytes in `region` (its
    /// header already checked) against its checksum, releasing the pages
    /// of each array once checked: checking a file just written (whose
    /// builder still holds the same rows) then adds about one array to the
    /// process's resident memory, not the whole file (10M rows: peak RSS
    /// 2.3 → 1.3 GB).
    static func verifyArrays(_ region: Region) -> String? {
        guard case .success(let header) = SnapshotHeader.decode(region) else { return "header damaged" }
        var released = 0 // pages before this are let go; a page shared with the next array goes with it
        for (index, array) in header.arrays.enumerated() {
            let bytes = UnsafeRawBufferPointer(start: region.base + array.offset, count: array.length)
            if Checksum64.of(bytes) != array.checksum { return "array \(index) does not match its checksum (damaged)" }
            released = region.release(released..<(array.offset + array.length))
        }
        return nil
    }
}

/// `write(2)`, under a name that does not clash with ``SnapshotFiles/write(_:)``.
private func writeBytes(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
