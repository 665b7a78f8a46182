/*
 * larder.h: the C ABI of Larder, an embedded feature store (libLarderC.so,
 * built by `swift build -c release --product LarderC`). The Python package
 * `larder` (python/) loads it through ctypes; any language with a C FFI can.
 *
 * Data crosses as the Arrow C Data Interface (ArrowSchema, ArrowArray,
 * ArrowArrayStream; https://arrow.apache.org/docs/format/CDataInterface.html
 * and CStreamInterface.html). The structs are declared below, guarded as the
 * specification says, so this header and arrow/c/abi.h can be included
 * together.
 *
 * RETURN VALUES. Every function that can fail returns an int: LARDER_OK (0)
 * or the category of the error (LARDER_INVALID_INPUT ...). The error itself
 * is then available, on the same thread, from larder_last_error() until the
 * next call on that thread.
 *
 * MEMORY.
 * - Strings passed in are UTF-8, NUL-terminated, borrowed for the call.
 * - A `char **out` string is allocated by Larder: free it with
 *   larder_string_free().
 * - An ArrowArrayStream passed IN (a spine, rows to write, entities) is moved
 *   into Larder: Larder reads it and calls its release callback before the
 *   function returns, on success and on error alike (unless the caller's
 *   struct is already released). The caller must not use it afterwards.
 * - An ArrowArrayStream passed OUT is filled by Larder (the caller provides
 *   the struct's memory, uninitialized). The arrays it yields point at
 *   Larder's own column memory, not copies (bool columns are bit-packed
 *   on export, Arrow's layout, the one conversion); the consumer releases
 *   them through their release callbacks, in any order, from any thread,
 *   including after larder_close(). Child arrays may be moved out and
 *   released separately.
 * - Handles (larder_store, larder_reader) are freed by their close function;
 *   a reader keeps its store alive, so closing the store first is safe.
 *
 * VALIDATION. Incoming Arrow structures are checked before they are read:
 * the top-level schema must be a struct ("+s") with as many children as
 * the arrays; each column's format must be a supported type (int8..int64,
 * uint8..uint64 within int64's range, float32, float64, bool, utf8,
 * large_utf8, binary, large_binary, timestamp[s|ms|us|ns] with or without a
 * time zone, fixed_size_list<float32>[N], null); buffer pointers, counts,
 * lengths, offsets and the offsets' order are checked. A mistake gives
 * LARDER_INVALID_INPUT naming the column; it never crashes the process. A
 * producer that lies about the size of its buffers cannot be detected by
 * any consumer of the interface.
 *
 * THREADS AND THE GIL. Every handle may be used from several threads at
 * once; calls never call back into the caller except through the release
 * callbacks of the streams it passes in (called on the calling thread, before
 * the call returns) and larder_backfill_intervals' interval function (called
 * on Larder's threads: see there). No function takes Python's GIL: ctypes
 * releases it around each call, so Python threads (and a serving thread pool)
 * run Larder calls in parallel. Errors are kept per thread.
 *
 * TIME. Timestamps are int64 microseconds since the Unix epoch, UTC. An
 * optional time is passed as a pointer (NULL = absent, "now" for as_of).
 */
#ifndef LARDER_H
#define LARDER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

#ifndef ARROW_C_STREAM_INTERFACE
#define ARROW_C_STREAM_INTERFACE

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};

#endif /* ARROW_C_STREAM_INTERFACE */

/* Return values: success, or the category of the error. */
#define LARDER_OK 0
#define LARDER_INVALID_INPUT 1 /* bad input: data, definitions, references, times, arguments */
#define LARDER_NOT_FOUND 2     /* an unknown view, version, feature, feature set */
#define LARDER_CONFLICT 3      /* refused because of what is already there */
#define LARDER_STORAGE 4       /* the store: missing, damaged, read-only, busy, SQLite */
#define LARDER_IO 5            /* another file cannot be read or written */
#define LARDER_BUFFER_TOO_SMALL 6 /* larder_reader_get_many_*, larder_reader_read: needed says how many bytes */

/* Feature statuses (online retrieval), as in semantics §3. */
#define LARDER_PRESENT 0
#define LARDER_NULL_VALUE 1
#define LARDER_NOT_FOUND_KEY 2
#define LARDER_OUTSIDE_MAX_AGE 3

typedef struct larder_store larder_store;
typedef struct larder_reader larder_reader;

/* The version of this ABI (5); a loader refuses a library it does not know. */
int larder_abi_version(void);

/* The last error on this thread as JSON:
 * {"category": "invalid_input", "message": "...", "problems": [{"file", "line",
 *  "column", "value", "reason", "text"}...], "total_problems": N}
 * ("text" is the CLI's line FILE:LINE: column C: value "V": reason). Owned by
 * Larder, valid until the next call on this thread; "" before any error. */
const char *larder_last_error(void);

/* Frees a string that Larder returned through a `char **out`. NULL is fine. */
void larder_string_free(char *string);

/* Opens (create != 0: creates when missing) the store at `path`. */
int larder_open(const char *path, int create, larder_store **out);

/* Closes a store handle. Readers and streams made from it stay usable. */
void larder_close(larder_store *store);

/* Applies the definitions file at `path` (YAML, semantics §6); *out_plan is
 * the plan's text (what `larder apply` prints). */
int larder_apply(larder_store *store, const char *path, int carry_data, int dry_run, char **out_plan);

/* The catalog as JSON (`larder list --format json`). */
int larder_catalog_json(larder_store *store, char **out);

/* View `view` at `version` (0 = latest) as JSON (`larder describe`). */
int larder_describe_json(larder_store *store, const char *view, int64_t version, char **out);

/* The runs of `view` as a JSON array (`larder runs --format json`). */
int larder_runs_json(larder_store *store, const char *view, char **out);

/* The cache's entries as a JSON array of {view, version, rows, bytes,
 * raw_bytes, mapped, delta_rows}. */
int larder_cache_json(larder_store *store, char **out);

/* Writes the rows of `rows` (moved in) to `view` at `version` (0 = latest)
 * as one run, validated as a backfill is (nothing is written on a problem;
 * the problems are in larder_last_error()). Columns: join keys,
 * event_timestamp, optionally created_timestamp, features by name.
 * `flags`: LARDER_ASSUME_UTC | LARDER_ALLOW_MISSING_FEATURES |
 * LARDER_IGNORE_UNKNOWN_COLUMNS | LARDER_SKIP_IF_UNCHANGED.
 * *out_result is the result as JSON {run_id, view, version, rows_written,
 * rows_rejected, content_sha256, skipped_unchanged, seconds}. */
int larder_write(larder_store *store, const char *view, int64_t version, struct ArrowArrayStream *rows,
                 int flags, char **out_result);

#define LARDER_ASSUME_UTC 1
#define LARDER_ALLOW_MISSING_FEATURES 2
#define LARDER_IGNORE_UNKNOWN_COLUMNS 4
#define LARDER_SKIP_IF_UNCHANGED 8

/* Backfills `view` from the CSV or JSON Lines file at `path` (`larder
 * backfill`). `format` "csv", "jsonl" or NULL (by extension); `on_error`
 * "stop" or "skip" (NULL = stop); `reject_file` with skip, or NULL;
 * `time_unit` "s", "ms", "us" or NULL. *out_result as larder_write's. */
int larder_backfill(larder_store *store, const char *view, int64_t version, const char *path, const char *format,
                    const char *on_error, const char *reject_file, const char *time_unit, int flags,
                    char **out_result);

/* The function a backfill over intervals (larder_backfill_intervals) calls
 * once per interval [start, end) (µs since the epoch, UTC). It fills `out`
 * (zeroed by Larder) with the interval's rows, columns as for larder_write,
 * moved into Larder, and returns 0; leaving `out` released (release NULL)
 * or giving a stream of no rows means the interval has no rows, which is
 * committed as an empty run. To fail the interval it returns non-zero
 * after writing a NUL-terminated reason of at most `capacity` bytes (the
 * NUL not counted) to `message`; the reason is kept in the ledger. */
typedef int (*larder_interval_function)(void *context, int64_t start, int64_t end, struct ArrowArrayStream *out,
                                        char *message, size_t capacity);

/* Backfills `view` at `version` (0 = latest) over the intervals [from, to)
 * of `every` µs (`larder backfill --command`, with a function instead of a
 * command): each interval not yet committed with the same `name` is
 * computed by `function(context, ...)`, validated (a row outside its
 * interval is a problem) and committed as its own run, its ledger entry in
 * the same transaction. `name` stands for the function in the ledger as a
 * command line does: change it when the function changes. `jobs` intervals
 * are computed at once (commits stay serialized, in interval order);
 * `lookback` µs (0 = none): the intervals ending within it before `to` are
 * recomputed, as new runs when their content changed. `flags`:
 * LARDER_ASSUME_UTC | LARDER_ALLOW_MISSING_FEATURES |
 * LARDER_IGNORE_UNKNOWN_COLUMNS | LARDER_FORCE (recompute committed
 * intervals) | LARDER_FAIL_FAST (run no interval after a failed one).
 * *out_report: {"all_committed": bool, "intervals": [{"start", "end",
 * "outcome": "committed" | "skipped" | "unchanged" | "failed" | "not_run",
 * "run_id", "rows", "message"}...]}; a failed interval does not make the
 * call fail (its entry says why), bad arguments and store errors do.
 *
 * THREADS. `function` is called on Larder's own threads (up to `jobs` at
 * once), never on the calling thread, which waits in this call until every
 * interval is done. A Python caller through ctypes: the call releases the
 * GIL and each callback (a ctypes CFUNCTYPE) takes it for its duration, so
 * Python code of several intervals runs one at a time except where it
 * releases the GIL (pandas, NumPy, I/O); `jobs` > 1 pays off when it does.
 * The function may read from the store; it must not wait for another
 * interval. */
int larder_backfill_intervals(larder_store *store, const char *view, int64_t version, int64_t from, int64_t to,
                              int64_t every, const char *name, larder_interval_function function, void *context,
                              int jobs, int64_t lookback, int flags, char **out_report);

#define LARDER_FORCE 16
#define LARDER_FAIL_FAST 32

/* The ledger of `view` at `version` (0 = latest) as a JSON array
 * (`larder ledger --format json`): {"start", "end", "version", "status"
 * ("committed" | "failed"), "run_id", "command", "content_sha256",
 * "fingerprint", "message", "recorded_at"} per interval. */
int larder_ledger_json(larder_store *store, const char *view, int64_t version, char **out);

/* Historical retrieval (training). `spine` (moved in) holds the join keys of
 * the requested views' entity and event_timestamp (timestamp, or int64 µs)
 * and any other columns; only the join keys and event_timestamp are read.
 * Features: a comma-separated reference list `features`, or `feature_set`
 * (exactly one non-NULL). *out yields ONLY the feature columns, one row per
 * spine row in spine order, in one batch: the caller puts them beside its
 * spine columns, which keep their own types and memory. A feature named
 * like a spine column is an error. `flags`: LARDER_ASSUME_UTC (a timestamp
 * column without time zone is UTC; otherwise such a column is refused). */
int larder_historical(larder_store *store, struct ArrowArrayStream *spine, const char *features,
                      const char *feature_set, const int64_t *as_of, int full_names, int flags,
                      struct ArrowArrayStream *out);

/* Entity-less retrieval (batch scoring) at `time`: *out yields the join
 * keys, event_timestamp (= time), then the features; keys ascending. */
int larder_features_at(larder_store *store, int64_t time, const char *features, const char *feature_set,
                       const int64_t *as_of, int full_names, struct ArrowArrayStream *out);

/* Online retrieval. `entities` (moved in) has one column per join key, one
 * row per entity. *out_values yields one column per feature, *out_statuses
 * one int8 column per feature (LARDER_PRESENT ...), same names, entity order. */
int larder_online(larder_store *store, const char *features, const char *feature_set, int full_names,
                  struct ArrowArrayStream *entities, struct ArrowArrayStream *out_values,
                  struct ArrowArrayStream *out_statuses);

/* As larder_online, and *out_event_times yields one timestamp[us, UTC]
 * column per feature (same names, entity order): the event time of the row
 * that answers each value, whatever its value, null where no row does
 * (LARDER_NOT_FOUND_KEY, LARDER_OUTSIDE_MAX_AGE). Since ABI version 5. */
int larder_online_with_event_times(larder_store *store, const char *features, const char *feature_set,
                                   int full_names, struct ArrowArrayStream *entities,
                                   struct ArrowArrayStream *out_values, struct ArrowArrayStream *out_statuses,
                                   struct ArrowArrayStream *out_event_times);

/* Exports the stored rows of `view` at `version` (0 = latest) with event
 * times in [from, to) seen from `as_of` (each NULL = unbounded) to `path` in
 * the Arrow IPC file format, written beside it and renamed into place when
 * complete (`larder export --format arrow`); *out_rows is the row count.
 * Memory-map the file to read it without a copy. */
int larder_export(larder_store *store, const char *view, int64_t version, const int64_t *from, const int64_t *to,
                  const int64_t *as_of, const char *path, int64_t *out_rows);

/* A prepared online reader (the hot path) of `features` or `feature_set`. */
int larder_reader_open(larder_store *store, const char *features, const char *feature_set, int full_names,
                       larder_reader **out);

/* Closes a reader. */
void larder_reader_close(larder_reader *reader);

/* The reader's shape as JSON: {"join_keys": [{"name", "type"}...],
 * "features": [{"name", "type"}...]} (types as in definitions). */
int larder_reader_describe(larder_reader *reader, char **out);

/* Reads the features of `count` entities whose one join key is an int64
 * (`keys[0..count)`) into `buffer` (`capacity` bytes, 8-byte aligned), in
 * one call, feature by feature: with F features and N = count, cell
 * c = f*N + i is feature f of entity i, and
 * - bytes [8c, 8c+8): the cell's value: int64 / timestamp (µs) as int64,
 *   float64 as double, bool as int64 0 or 1, and for string, bytes and
 *   vector values a uint32 offset then a uint32 length (in bytes) into the
 *   buffer; 0 when the status is not LARDER_PRESENT;
 * - byte 8FN + c: the cell's status (LARDER_PRESENT ...);
 * - from T = 9FN rounded up to a multiple of 8, bytes [T + 8c, T + 8c + 8):
 *   the event time (int64, µs since the epoch) of the row that answers the
 *   cell, whatever its value (0 when no row does: LARDER_NOT_FOUND_KEY,
 *   LARDER_OUTSIDE_MAX_AGE);
 * - from T + 8FN on: the bytes of string and bytes values, each followed
 *   by a zero byte (not counted in its length), and of vectors (float32,
 *   each 4-byte aligned), feature by feature and, within a feature, in
 *   entity order, so one feature's strings are one contiguous UTF-8 run
 *   that a caller may split at its zero bytes when it finds as many values
 *   as it expects (a value may hold a zero byte itself).
 * So each feature's N values are one array of int64 / double / (offset,
 * length) pairs, and its N statuses one byte array: a caller reads them as
 * such without a call per value. *needed is the number of bytes the answer
 * takes; LARDER_BUFFER_TOO_SMALL (and *needed) when it does not fit (read
 * again with a larger buffer).
 * The N entities are read as one batch, with the rule at one "now": the
 * answers are those of N single reads at that time. The keys are only read
 * during the call; the buffer is the caller's (allocated, reused and freed
 * by it), written only during the call, and holds no pointer into Larder's
 * memory afterwards. Before ABI version 4 there were no event times, no
 * zero bytes after strings, and the payloads started at 9FN rounded up to 8. */
int larder_reader_get_many_int64(larder_reader *reader, const int64_t *keys, size_t count, uint8_t *buffer,
                                 size_t capacity, size_t *needed);

/* As larder_reader_get_many_int64, for an entity whose one join key is a
 * string: entity i's key is the UTF-8 bytes [offsets[i], offsets[i+1]) of
 * `keys` (count + 1 offsets, Arrow's layout). */
int larder_reader_get_many_string(larder_reader *reader, const char *keys, const int64_t *offsets, size_t count,
                                  uint8_t *buffer, size_t capacity, size_t *needed);

/* The header of a read block: caller-owned memory, 8-byte aligned, that
 * larder_reader_read reads one entity into. The caller allocates the block
 * once (per thread: a block is used by one call at a time), sets `reader`
 * and `size`, and per read only `key` (and a string key's bytes). */
typedef struct larder_read_block {
  larder_reader *reader; /* set by the caller */
  int64_t key;           /* an int64 key; for a string key, its length in bytes,
                            the UTF-8 bytes following this header */
  uint64_t size;         /* the block's size in bytes, this header included */
  uint64_t needed;       /* set by Larder: the size the read needs */
} larder_read_block;

/* Reads the entity of block->key with block->reader into the block: the
 * answer starts right after the header (int64 key) or after the key's bytes
 * padded to 8 (string key) and is laid out as larder_reader_get_many_int64's
 * with N = 1 (offsets of string, bytes and vector values counted from the
 * answer's start). block->needed is set to the block size the read takes;
 * LARDER_BUFFER_TOO_SMALL when `size` is less (read again with a larger
 * block). Allocates nothing. One argument, so that an FFI (ctypes) converts
 * one pointer per call rather than five values: the hot path from Python.
 * The reader must stay open during the call. */
int larder_reader_read(larder_read_block *block);

#ifdef __cplusplus
}
#endif

#endif /* LARDER_H */
