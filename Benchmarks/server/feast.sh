#!/bin/sh
# The Feast feature server (`feast serve`, Feast 0.67) measured the way run.sh measures
# `larder serve`: the same wrk script and request bodies (ROUTE=/get-online-features,
# SET_FIELD=feature_service), loopback only, each run bounded in time. Serves the Feast repo
# that `../shared/bench/run.sh large duckdb` leaves materialized (SQLite online store).
#
#   Benchmarks/server/feast.sh [FEAST_REPO] [SECONDS] [WORKERS]
#
# Prints one RESULT line per case: online lookups of 1 entity x 9 features and of 100 entities.
# The bench repo defines no push source, so Feast's /push is not measured.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=${1:-$HOME/.cache/larder-feast-bench/work/large_duckdb}
seconds=${2:-10}
workers=${3:-1}
feast=${FEAST:-$HOME/.cache/larder-feast-venv/bin/feast}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
(cd "$repo" && exec "$feast" serve --host 127.0.0.1 --port "$port" --workers "$workers" --no-access-log) >"$log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null; pkill -TERM -f "feast serve --host 127.0.0.1 --port $port" 2>/dev/null; wait $server 2>/dev/null; rm -f "$log"' EXIT
url=http://127.0.0.1:$port
for _ in $(seq 300); do
  curl -s -o /dev/null "$url/health" && break
  sleep 0.2
done
curl -sf -o /dev/null "$url/health" || { cat "$log"; exit 1; }
curl -s -o /dev/null -H 'Content-Type: application/json' \
  -d '{"feature_service":"driver_stats_svc","entities":{"driver_id":[1001]}}' "$url/get-online-features"
echo "# feast serve --workers $workers: online, 1 entity x 9 features (wrk -t1 -c16)"
ENTITIES=1 ROUTE=/get-online-features SET_FIELD=feature_service wrk -t1 -c16 -d"${seconds}s" -s "$here/online.lua" "$url" | grep RESULT
echo "# feast serve --workers $workers: online, 100 entities x 9 features (wrk -t1 -c16)"
ENTITIES=100 ROUTE=/get-online-features SET_FIELD=feature_service wrk -t1 -c16 -d"${seconds}s" -s "$here/online.lua" "$url" | grep RESULT
