#!/bin/sh
# Load benchmark of `larder serve` with wrk (Debian's `wrk` package): loopback only, each run
# bounded in time. Serves a copy of a store (default: the 1M-row bench store /tmp/s1/larder.db,
# with the driver_stats definitions of shared/bench/larder/driver_stats.yaml).
#
#   swift build -c release --product larder
#   Benchmarks/server/run.sh [STORE] [SECONDS]
#
# Prints one RESULT line per case: online lookups of 1 entity × 9 features and of 100 entities
# (requests/s, p50, p99), single-row pushes alone (and the server's CPU time per push, from
# /proc: a figure the load of a shared machine does not change) and with 1-entity reads going
# on, the same from 64 connections at once, and pushes of 10,000 rows (and the server's CPU
# time per such push).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
store=${1:-/tmp/s1/larder.db}
seconds=${2:-10}
larder=${LARDER:-$here/../../.build/release/larder}
. "$here/serve.sh"
copy_store "$store"
start_server
# Warm: the first request of a shape prepares its reader and maps the view.
curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"feature_set":"driver_stats_svc","entities":{"driver_id":[1]}}' "$url/v1/online-features"

echo "# online, 1 entity x 9 features (wrk -t1 -c16)"
ENTITIES=1 wrk -t1 -c16 -d"${seconds}s" -s "$here/online.lua" "$url" | grep RESULT
echo "# online, 100 entities x 9 features (wrk -t1 -c16)"
ENTITIES=100 wrk -t1 -c16 -d"${seconds}s" -s "$here/online.lua" "$url" | grep RESULT
echo "# push, 1 row (wrk -t1 -c4); then the server's CPU time per push, which the machine's load does not change"
before=$(cpu_ms)
ROWS=1 wrk -t1 -c4 -d"${seconds}s" -s "$here/push.lua" "$url" | grep RESULT | tee "$work/push.txt"
pushes=$(sed -n 's/.*requests=\([0-9]*\) .*/\1/p' "$work/push.txt")
echo "RESULT server_cpu_ms_per_push=$(echo "$before $(cpu_ms) $pushes" | awk '{printf "%.3f", ($2 - $1) / $3}')"
echo "# push, 1 row, with 1-entity reads going on (two wrk processes at once)"
ENTITIES=1 wrk -t1 -c8 -d"${seconds}s" -s "$here/online.lua" "$url" | sed 's/^RESULT/RESULT reads:/' | grep RESULT &
reads=$!
ROWS=1 wrk -t1 -c4 -d"${seconds}s" -s "$here/push.lua" "$url" | sed 's/^RESULT/RESULT pushes:/' | grep RESULT
wait $reads
echo "# push, 1 row from 64 connections (wrk -t1 -c64), alone and then with 1-entity reads going on: group commit"
echo "# puts the pushes waiting together in one transaction, so more writers at once cost less each"
before=$(cpu_ms)
ROWS=1 wrk -t1 -c64 -d"${seconds}s" -s "$here/push.lua" "$url" | sed 's/^RESULT/RESULT c64:/' | grep RESULT | tee "$work/push.txt"
pushes=$(sed -n 's/.*requests=\([0-9]*\) .*/\1/p' "$work/push.txt")
echo "RESULT c64: server_cpu_ms_per_push=$(echo "$before $(cpu_ms) $pushes" | awk '{printf "%.3f", ($2 - $1) / $3}')"
ENTITIES=1 wrk -t1 -c8 -d"${seconds}s" -s "$here/online.lua" "$url" | sed 's/^RESULT/RESULT c64 reads:/' | grep RESULT &
reads=$!
ROWS=1 wrk -t1 -c64 -d"${seconds}s" -s "$here/push.lua" "$url" | sed 's/^RESULT/RESULT c64 pushes:/' | grep RESULT
wait $reads
echo "# push, 10,000 rows (wrk -t1 -c1); then the server's CPU time per push (its background compactions included)"
before=$(cpu_ms)
ROWS=10000 wrk -t1 -c1 -d"${seconds}s" --timeout 30s -s "$here/push.lua" "$url" | grep RESULT | tee "$work/push.txt"
pushes=$(sed -n 's/.*requests=\([0-9]*\) .*/\1/p' "$work/push.txt")
echo "RESULT server_cpu_ms_per_10000_row_push=$(echo "$before $(cpu_ms) $pushes" | awk '{ if ($3 > 0) printf "%.1f", ($2 - $1) / $3; else printf "n/a" }')"
echo "# push visibility: from a 1-row push's 200 to the online read that returns it"
python3 "$here/visibility.py" "$url" 200 | grep RESULT
