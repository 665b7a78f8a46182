#!/bin/bash
# What one cold whole-process run reads from disk (run as root): drops the page cache, runs
# the command, and prints the MB read from the device that holds the binary, the number of
# reads, and the process's major page faults.
#
#   Benchmarks/shell/cold_io.sh .build/release/larder list --store /tmp/s10/larder.db
#
# Unlike a cold time it does not drift with the VM's disk: the start-up layout
# (Benchmarks/startup/startup_order.py) shows as fewer MB read (docs/benchmarks.md).
set -eu
binary=$1
device=$(basename "$(readlink -f "/sys/dev/block/$(stat -L -c '%Hd:%Ld' "$binary")")")
counters=/sys/block/$device/stat
faults=$(mktemp)
trap 'rm -f "$faults"' EXIT
sync; echo 3 > /proc/sys/vm/drop_caches
read -r reads_before _ sectors_before _ < "$counters"
/usr/bin/time -o "$faults" -f '%F' "$@" > /dev/null 2>&1 || true
read -r reads_after _ sectors_after _ < "$counters"
echo "$(( (sectors_after - sectors_before) * 512 / 1048576 )) MB in $(( reads_after - reads_before )) reads; $(tail -1 "$faults") major faults"
