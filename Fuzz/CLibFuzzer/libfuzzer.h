#ifndef LARDER_LIBFUZZER_H
#define LARDER_LIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver (the runtime that -sanitize=fuzzer links): parses
/// the command line in argc/argv and calls `callback` with each input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
