#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, ASan and UBSan into build-fuzz/ and runs them
# one after the other (2 cores: one job, no -jobs), nice'd:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 180 s, every target)
# Each target works on out/fuzz/<target>/corpus (seeded with a copy of fuzz/corpus/<target>/,
# kept between runs), with its dictionary fuzz/dict/<target>.dict if there is one; crashes,
# leaks, timeouts and out-of-memory inputs go to out/fuzz/<target>/, the log to
# out/fuzz/<target>/log. Prints one row per target; exits 1 if any target found something.
# Needs clang and libfuzzer-14-dev (scripts/install-deps.sh --fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(image manifest model_file index_file store_record query_json http_request)
seconds=${1:-180}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target $t (${ALL[*]})" >&2; exit 2; }
done

if [ ! -f build-fuzz/CMakeCache.txt ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DQISS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" >/dev/null
fi
nice -n 10 cmake --build build-fuzz -j"${FUZZ_BUILD_JOBS:-$(nproc)}" \
  --target $(printf 'fuzz_%s ' "${targets[@]}") >/dev/null

# One thread per run (manifest lines are parsed with OpenMP); reports with the symbols.
export OMP_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# FAISS's reader leaks the index it was building when a damaged FAISS part makes it throw (a
# few bytes per damaged file, in FAISS 1.7.3): not a finding of qiss's (docs/reliability.md).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/fuzz/lsan.supp:print_suppressions=0}

found=0
printf '%-14s %9s %12s %9s %7s %8s %8s\n' target cpu_s execs exec/s cov ft crashes
for t in "${targets[@]}"; do
  out=out/fuzz/$t
  mkdir -p "$out/corpus"
  cp -r "fuzz/corpus/$t/." "$out/corpus/"
  dict=()
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  /usr/bin/time -f '%U %S' -o "$out/time" nice -n 10 "build-fuzz/fuzz/fuzz_$t" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$out/" "${dict[@]}" "$out/corpus" >"$out/log" 2>&1 || true
  cpu=$(tail -n1 "$out/time" | awk '{printf "%.0f", $1 + $2}' 2>/dev/null || echo '?')
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$out/log" | tail -1 | cut -d' ' -f2)
  crashes=$(find "$out" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
    -o -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
  [ "$crashes" -gt 0 ] && found=1
  printf '%-14s %9s %12s %9s %7s %8s %8s\n' "$t" "$cpu" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${ft:-?}" "$crashes"
done
[ "$found" -eq 0 ] || { echo "fuzz.sh: findings in out/fuzz/*/ (see each log)" >&2; exit 1; }
