#if canImport(Glibc)
import Glibc
#endif

/// The scheduling of the threads a run starts beside the thread that writes
/// it (reading, typing, sorting, statistics). The writing thread is the
/// run's critical path: every row passes through its one SQLite
/// connection, while the helpers only have to stay a batch ahead of it.
/// On two cores the helpers and the writer compete for the cores; when
/// the helpers yield to the writer, the run ends sooner, and a helper
/// still runs at full speed whenever a core is idle.
enum HelperPriority {
    /// How much lower than the writer a helper thread runs, in nice steps
    /// (each about 1.25× less CPU share under contention). A helper still
    /// gets every idle core: the niceness only decides who waits when
    /// both want one.
    static let niceness: Int32 = 5

    /// Lowers the calling thread's priority by ``niceness``, on Linux,
    /// where a thread's nice value is its own; elsewhere it does nothing.
    static func yieldToWriter() {
        #if os(Linux)
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        guard errno == 0 else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(current + niceness, 19))
        #endif
    }
}
