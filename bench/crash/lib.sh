# shellcheck shell=bash
# Shared by bench/crash/crash_loop.sh, bench/crash/crash_serve.sh and bench/soak/soak.sh
# (sourced, from the repository root). Expects QISS and WORK to be set.
PYTHON=${PYTHON:-/usr/bin/python3}  # Debian's: it starts in a tenth of a second, shims take seconds

# Failures are lines of a file, so that subshells can add to them.
fail() {  # trial, message
  echo "  FAIL trial $1: $2" | tee -a "$WORK/failures" >&2
}
failures() { wc -l <"$WORK/failures"; }

# Copies the first N files (sorted) of the folder IMAGES into DIR.
copy_images() {  # IMAGES, N, DIR
  mkdir -p "$3"
  find "$1" -maxdepth 1 -type f | sort | head -n "$2" | xargs -r -d '\n' cp -t "$3"
}

# The collection a writing server starts from: the first N images of IMAGES indexed with MODEL
# into $WORK/data, and a token in $WORK/token. Exits the script if indexing fails.
seed_collection() {  # IMAGES, N, MODEL, TOKEN
  copy_images "$1" "$2" "$WORK/in"
  "$QISS" index --data "$WORK/data" --model "$3" "$WORK/in" >"$WORK/index.log" 2>&1 ||
    { cat "$WORK/index.log" >&2; exit 1; }
  echo "$4" >"$WORK/token"
}

# `qiss info` on DATA: it succeeds without a warning (the index needed no repair) and reports as
# many index vectors and keyword-index images as images; `qiss search --id` works for SAMPLE
# stored ids. Prints the image count (last line), or fails the trial.
check_collection() {  # trial, stage, DATA
  local t=$1 stage=$2 data=$3 out images vectors keywords ids
  out=$("$QISS" info --json --data "$data" 2>"$WORK/err") || {
    fail "$t" "$stage: info exited $?: $(cat "$WORK/err")"
    return 1
  }
  grep -qi warn "$WORK/err" && fail "$t" "$stage: info warned: $(cat "$WORK/err")"
  images=$(echo "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["images"])')
  vectors=$(echo "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["index_vectors"])')
  [ "$images" = "$vectors" ] || fail "$t" "$stage: $images images but $vectors index vectors"
  keywords=$(echo "$out" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["keyword_images"])')
  [ "$images" = "$keywords" ] || fail "$t" "$stage: $images images but $keywords in the keyword index"
  if [ "$images" -gt 0 ]; then
    ids=$("$QISS" search --json --data "$data" --text cat -k 50 2>/dev/null |
      "$PYTHON" -c 'import json,sys; print(" ".join(str(r["id"]) for r in json.load(sys.stdin)["results"]))')
    for id in $(echo "$ids" | tr ' ' '\n' | shuf -n "${SAMPLE:-3}" --random-source=<(yes "$t")); do
      "$QISS" search --json --data "$data" --id "$id" -k 3 >/dev/null 2>"$WORK/err" ||
        fail "$t" "$stage: search --id $id failed: $(cat "$WORK/err")"
    done
  fi
  echo "$images"
}

# A free TCP port of 127.0.0.1 (the servers restart on the same one).
free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts `qiss serve --data DATA --port PORT ARGS...` in the background, logging to LOG (appended);
# sets server_pid and waits (at most 60 s) until it serves. Returns 1 if it does not.
start_server() {  # DATA, PORT, LOG, ARGS...
  local data=$1 port=$2 log=$3 _
  shift 3
  local mark
  touch "$log"
  mark=$(wc -l <"$log")
  "$QISS" serve --data "$data" --port "$port" "$@" >>"$log" 2>&1 &
  server_pid=$!
  for _ in $(seq 600); do
    tail -n +"$((mark + 1))" "$log" | grep -q "serving .* at http://127.0.0.1:$port/" && return 0
    kill -0 "$server_pid" 2>/dev/null || { tail -5 "$log" >&2; return 1; }
    sleep 0.1
  done
  echo "the server did not start in 60 s" >&2
  return 1
}

# Stops the server with SIGNAL (TERM or KILL); after TERM, waits at most 30 s, then kills it.
# Sets server_status to its exit status (not in a subshell: only this shell can wait for it).
# shellcheck disable=SC2034  # server_status is read by the callers
stop_server() {  # SIGNAL
  local _
  server_status=""
  [ -n "${server_pid:-}" ] || return 0
  {  # without bash's "Killed" notice
    kill -s "$1" "$server_pid"
    for _ in $(seq 300); do kill -0 "$server_pid" || break; sleep 0.1; done
    kill -0 "$server_pid" && kill -9 "$server_pid"
    wait "$server_pid"
    server_status=$?
  } 2>/dev/null
  server_pid=""
}
