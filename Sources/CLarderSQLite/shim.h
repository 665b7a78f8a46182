#ifndef CLARDER_SQLITE_SHIM_H
#define CLARDER_SQLITE_SHIM_H
#include <sqlite3.h>

/// `sqlite3_db_config` is variadic and cannot be called from Swift: this wraps
/// the one use Larder has for it (turning on defensive mode).
static inline int clarder_sqlite3_enable_defensive(sqlite3 *db) {
    return sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)0);
}

/// `sqlite3_config` is variadic too: this turns off SQLite's memory
/// statistics (on in Debian's build), whose process-wide mutex every
/// allocation takes. `SQLITE_MISUSE` once SQLite is initialized.
static inline int clarder_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
#endif
