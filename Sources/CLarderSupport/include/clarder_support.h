#ifndef CLARDER_SUPPORT_H
#define CLARDER_SUPPORT_H
#include <stddef.h>
#include <stdint.h>

/// Whether this CPU has the SHA-256 instructions (x86 SHA extensions).
int clarder_sha256_hw_available(void);

/// Compresses `blocks` 64-byte blocks into `state` with the SHA-256
/// instructions. Call only when clarder_sha256_hw_available() is true.
void clarder_sha256_hw_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
