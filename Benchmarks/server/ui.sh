#!/bin/sh
# Times each page of the web UI (docs/ui.md) served by `larder serve` on a copy of the 1M-row bench
# store: the median and the slowest of REPEATS requests per page, with curl, over loopback.
# The bench store predates per-run statistics, so the copy first gets 10 more runs of 100,000 rows
# each (slices of driver_stats.csv), which record them: the feature and drift pages then merge
# 1.1M rows' worth of sketches, and the trends read 10 runs. (The first of those runs also finds the
# version's newest event time with one scan, as every version made before store schema 5 does once.)
#
#   swift build -c release --product larder
#   Benchmarks/server/ui.sh [STORE] [CSV] [REPEATS]
#
# Prints one RESULT line per page: RESULT page=NAME first_ms=… median_ms=… max_ms=… status=…
set -eu
here=$(cd "$(dirname "$0")" && pwd)
store=${1:-/tmp/s1/larder.db}
csv=${2:-/tmp/bench/large/driver_stats.csv}
repeats=${3:-21}
larder=${LARDER:-$here/../../.build/release/larder}
. "$here/serve.sh"
copy_store "$store"
header=$(head -1 "$csv")
for i in 0 1 2 3 4 5 6 7 8 9; do
  { echo "$header"; tail -n +2 "$csv" | sed -n "$((i * 100000 + 1)),$(((i + 1) * 100000))p"; } > "$work/slice.csv"
  "$larder" backfill driver_stats --input "$work/slice.csv" --store "$work/larder.db" >/dev/null
done
start_server
last=$("$larder" runs driver_stats --store "$work/larder.db" --format json | grep -o '"id":[0-9]*' | cut -d: -f2 | sort -n | tail -1)
for page in \
  "catalog /ui/" \
  "search /ui/?q=rating" \
  "view /ui/views/driver_stats" \
  "run /ui/views/driver_stats/runs/$last" \
  "feature-number /ui/views/driver_stats/features/conv_rate" \
  "feature-all-runs /ui/views/driver_stats/features/conv_rate?runs=all" \
  "feature-string /ui/views/driver_stats/features/vehicle_type" \
  "drift /ui/views/driver_stats/drift" \
  "ledger /ui/ledger"; do
  name=${page%% *}; path=${page#* }
  # The first request decodes the runs' sketches that page reads (then kept by run id): timed apart.
  first=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$url$path")
  status=${first% *}
  for _ in $(seq "$repeats"); do curl -s -o /dev/null -w '%{time_total}\n' "$url$path"; done | sort -n > "$work/times"
  median=$(sed -n "$(((repeats + 1) / 2))p" "$work/times")
  max=$(tail -1 "$work/times")
  echo "RESULT page=$name first_ms=$(echo "${first#* } * 1000" | bc) median_ms=$(echo "$median * 1000" | bc) max_ms=$(echo "$max * 1000" | bc) status=$status"
done
# After a new run: its newest event time is kept by the run (no scan), its sketches decoded once.
{ echo "$header"; tail -n +2 "$csv" | head -1000; } > "$work/slice.csv"
"$larder" backfill driver_stats --input "$work/slice.csv" --store "$work/larder.db" >/dev/null
seconds=$(curl -s -o /dev/null -w '%{time_total}' "$url/ui/views/driver_stats")
echo "RESULT page=view-after-a-new-run ms=$(echo "$seconds * 1000" | bc)"
