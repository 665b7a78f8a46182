#define _GNU_SOURCE
#include "clarder_support.h"
#ifdef __linux__
#include <fcntl.h>
#endif

int clarder_start_writeback(int fd, int64_t offset, int64_t count) {
#ifdef __linux__
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd; (void)offset; (void)count;
    return 0;
#endif
}
