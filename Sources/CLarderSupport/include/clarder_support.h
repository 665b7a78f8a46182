#ifndef CLARDER_SUPPORT_H
#define CLARDER_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has the SHA-256 instructions (x86 SHA extensions).
int clarder_sha256_hw_available(void);

/// Compresses `blocks` 64-byte blocks into the SHA-256 `state`, with the
/// CPU's SHA instructions when it has them, portable C otherwise.
void clarder_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// The portable C compression alone (for tests that compare both paths).
void clarder_sha256_portable_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// Asks the CPU to bring the cache line holding `address` into its caches
/// for a read soon (a hint: never faults, whatever the address).
static inline void clarder_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// Starts the kernel's writeback of bytes `offset ..< offset + count` of
/// the file `fd` (Linux `sync_file_range` with `SYNC_FILE_RANGE_WRITE`):
/// a hint that neither waits nor makes anything durable. Returns 0, or -1
/// with `errno` set; does nothing elsewhere than on Linux.
int clarder_start_writeback(int fd, int64_t offset, int64_t count);

#endif
