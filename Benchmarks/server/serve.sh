# Sourced by the benchmarks of `larder serve` (run.sh, ui.sh), after `set -eu` and with $larder set:
# a copy of a store in a temporary folder, and a server on it on a free loopback port, both
# stopped and removed when the script exits.
#
#   copy_store STORE        the copy is $work/larder.db (with its snapshot folder, if any)
#   start_server [ARGS...]  `larder serve` on the copy with ARGS; sets $server (its pid) and $url
#   cpu_ms                  the CPU time the server has used so far (user + system), in ms
copy_store() {
  work=$(mktemp -d)
  server=
  trap 'if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi; rm -rf "$work"' EXIT
  cp "$1" "$work/larder.db"
  if [ -d "$1.cache" ]; then cp -r "$1.cache" "$work/larder.db.cache"; fi
}

start_server() {
  "$larder" serve --store "$work/larder.db" --port 0 "$@" 2>"$work/serve.log" &
  server=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's|.*serving .* on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$work/serve.log"; exit 1; }
  url=http://127.0.0.1:$port
}

cpu_ms() {
  awk -v tick="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / tick }' "/proc/$server/stat"
}
