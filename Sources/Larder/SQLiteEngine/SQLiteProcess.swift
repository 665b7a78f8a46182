import CLarderSQLite

/// Settings of the SQLite library for the whole process, which only a
/// program that owns its process may choose: the `larder` command (and so
/// its server) does, first thing; the library and the C ABI do not, since
/// the program around them may use SQLite itself.
package enum SQLiteProcess {
    /// Turns off SQLite's memory statistics, which Debian's build keeps on:
    /// with them every allocation SQLite makes (several per inserted
    /// row) takes one process-wide mutex and updates counters, which Larder
    /// never reads. Sorted inserts shaped like a backfill's spend about 7 %
    /// less CPU in SQLite without them, measured in isolation
    /// (docs/benchmarks.md).
    ///
    /// Call it before SQLite is first used and before any other thread
    /// could use it (`sqlite3_config` is not thread-safe); answers whether
    /// it took effect (false once SQLite is initialized: nothing changes then).
    @discardableResult
    package static func turnOffMemoryStatistics() -> Bool {
        clarder_sqlite3_disable_memory_statistics() == SQLITE_OK
    }
}
