#!/bin/bash
# Whole-process wall time of a command with a cold page cache (run as root):
# the page cache is dropped before each of N runs; prints the median and every run, in ms.
#
#   Benchmarks/shell/cold.sh 7 .build/release/larder list --store /tmp/s10/larder.db
#
# The disk's read-ahead decides what a cold page fault costs
# (/sys/block/DEVICE/queue/read_ahead_kb); docs/benchmarks.md gives both.
set -eu
n=$1; shift
times=()
for _ in $(seq "$n"); do
  sync; echo 3 > /proc/sys/vm/drop_caches
  start=$(date +%s%N); "$@" > /dev/null 2>&1; end=$(date +%s%N)
  times+=($(( (end - start) / 1000000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "median %d ms (all:", a[int((NR+1)/2)]; for (i=1;i<=NR;i++) printf " %d", a[i]; print ")"}'
