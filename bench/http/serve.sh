# shellcheck shell=bash
# Sourced by the bench/http scripts: `qiss serve` ($BUILD/qiss) on a free loopback port.
#   start_server LOG ARGS...   starts `qiss serve ARGS --port 0` (logging to LOG) and waits until it
#                              listens: sets server_pid and port; the script exits if it dies
#   stop_server                stops it (safe to call twice; use it in an EXIT trap)
server_pid=""
port=""
start_server() {
  local log=$1
  shift
  "$BUILD/qiss" serve "$@" --port 0 > "$log" 2>&1 &
  server_pid=$!
  port=""
  for _ in $(seq 600); do
    port=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$log" | grep -oE '[0-9]+/$' | tr -d / || true)
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.5
  done
  echo "bench/http: the server did not start" >&2
  cat "$log" >&2
  exit 1
}
stop_server() {
  [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
}
