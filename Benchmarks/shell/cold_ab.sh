#!/bin/bash
# Cold whole-process runs of several binaries, alternated run by run (run as root):
# the page cache is dropped before each run; prints each binary's median, min and max, in ms.
#
#   Benchmarks/shell/cold_ab.sh 11 "/tmp/old/larder /tmp/new/larder" list --store /tmp/s10/larder.db
#
# Alternating is what makes two binaries comparable on a disk whose speed drifts
# (docs/benchmarks.md, "A cold larder online reads the snapshot page by page").
set -eu
n=$1; binaries=$2; shift 2
declare -A times
for _ in $(seq "$n"); do
  for binary in $binaries; do
    sync; echo 3 > /proc/sys/vm/drop_caches
    start=$(date +%s%N); "$binary" "$@" > /dev/null 2>&1 || true; end=$(date +%s%N)
    times[$binary]+="$(( (end - start) / 1000000 )) "
  done
done
for binary in $binaries; do
  printf '%s: ' "$binary"
  tr ' ' '\n' <<< "${times[$binary]}" | grep . | sort -n |
    awk '{a[NR]=$1} END {printf "median %d ms (min %d, max %d)\n", a[int((NR+1)/2)], a[1], a[NR]}'
done
