import CLarderSQLite
import CLarderSupport
#if canImport(Glibc)
import Glibc
#endif

/// Asks the kernel to start writing a connection's WAL file to disk while a
/// large run is still spilling pages into it, so that the checkpoint after
/// its commit (which first `fdatasync`s the WAL) finds little left to
/// write. Without it the kernel holds every dirty page of the run's WAL
/// (about 0.9 GB for 10M rows) until that `fdatasync`, which then waits
/// for all of it at once (docs/benchmarks.md, "The WAL written back as it
/// grows").
///
/// Only a hint: it starts writeback (`sync_file_range` with
/// `SYNC_FILE_RANGE_WRITE`, `clarder_start_writeback`), never waits for it and never makes anything
/// durable, so SQLite's own syncs keep every guarantee. It reads the WAL
/// through a file descriptor of its own, opened read-only: SQLite holds no
/// POSIX lock on the WAL file (its WAL locks are on the `-shm` file), so
/// closing it releases nothing of SQLite's. Linux only; elsewhere it does
/// nothing.
final class WALWriteback {
    /// Bytes of new WAL between two hints.
    static let stride = 32 << 20
    #if os(Linux)
    /// The WAL file, or -1 when it could not be opened (the hint is then skipped).
    private let fd: Int32
    /// The end of the WAL when the last hint was given.
    private(set) var hinted = 0
    #endif

    /// A writeback hint for the WAL of `db`'s main database.
    init(_ db: Connection) {
        #if os(Linux)
        if let name = sqlite3_db_filename(db.handle, "main"), let wal = sqlite3_filename_wal(name), wal.pointee != 0 {
            fd = open(wal, O_RDONLY | O_CLOEXEC)
        } else {
            fd = -1
        }
        #endif
    }

    deinit {
        #if os(Linux)
        if fd >= 0 { close(fd) }
        #endif
    }

    /// Starts the writeback of what was added to the WAL since the last
    /// hint, once that is at least ``stride`` bytes.
    func hint() {
        #if os(Linux)
        guard fd >= 0 else { return }
        var status = stat()
        guard fstat(fd, &status) == 0 else { return }
        let end = Int(status.st_size)
        guard end - hinted >= Self.stride else { return }
        _ = clarder_start_writeback(fd, Int64(hinted), Int64(end - hinted))
        hinted = end
        #endif
    }
}
