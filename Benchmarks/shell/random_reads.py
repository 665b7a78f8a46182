"""What one 4 KB read at a random offset of a cold file costs: by pread, by
touching a page of a mapping, and by touching it after madvise(MADV_RANDOM)
(no read-around). Run as root (it drops the page cache before each way).

    python3 Benchmarks/shell/random_reads.py /tmp/s10/larder.db
"""
import mmap
import os
import random
import sys
import time


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def offsets(size, n=10):
    return [random.randrange(0, size // 4096) * 4096 for _ in range(n)]


def main(path):
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    for way in ("pread", "mmap", "mmap+MADV_RANDOM"):
        drop_caches()
        mapping = None if way == "pread" else mmap.mmap(fd, 0, prot=mmap.PROT_READ)
        if way == "mmap+MADV_RANDOM":
            mapping.madvise(mmap.MADV_RANDOM)
        times = []
        for offset in offsets(size):
            start = time.perf_counter()
            if mapping is None:
                os.pread(fd, 4096, offset)
            else:
                mapping[offset]
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        print(f"{way:17} median {times[len(times) // 2]:.2f} ms, all: " + " ".join(f"{t:.2f}" for t in times))
        if mapping is not None:
            mapping.close()


if __name__ == "__main__":
    main(sys.argv[1])
