#!/bin/bash
# One whole-process backfill into a fresh store: prints "SECONDS PEAK_RSS_KB".
#
#   Benchmarks/shell/backfill.sh .build/release/larder /tmp/bench/large/driver_stats.csv
#
# Alternate two binaries run by run to compare them on a machine whose speed drifts.
set -eu
larder=$1 input=$2
definitions=${DEFINITIONS:-$(dirname "$0")/../../../shared/bench/larder/driver_stats.yaml}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$larder" init --store "$work/larder.db" > /dev/null
"$larder" apply --store "$work/larder.db" "$definitions" > /dev/null
/usr/bin/time -f "%e %M" "$larder" backfill --store "$work/larder.db" driver_stats --input "$input" 2>&1 > /dev/null | tail -1
