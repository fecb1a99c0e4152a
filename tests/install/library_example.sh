#!/usr/bin/env bash
# CTest `library_example`: installs the build into a scratch prefix, checks what the C++ library
# exports, builds examples/search against that prefix alone (find_package(qiss), nothing of the
# build tree, no libtorch/FAISS/OpenCV headers), indexes four emoji with the installed binary and
# the tiny test model, and checks the example's answers against `qiss search`'s.
#   tests/install/library_example.sh BUILD_DIR SOURCE_DIR
build=$1
src=$2
. "$(dirname "$0")/common.sh" library

prefix=$work/prefix
install_into "$build" "$prefix"
header=$prefix/include/qiss/qiss.h
[ -f "$header" ] || fail "no $header"
[ -f "$prefix/lib/cmake/qiss/qissConfig.cmake" ] || fail "no CMake package"
lib=$(readlink -f "$prefix/lib/libqiss.so") || fail "no libqiss.so"
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[[ "$soname" =~ ^libqiss\.so\.[0-9]+\.[0-9]+$ ]] || fail "SONAME: $soname"
# The header compiles alone as C++17 and includes standard C++ headers only (<name>, no path).
echo '#include <qiss/qiss.h>' | g++ -std=c++17 -fsyntax-only -x c++ -I"$prefix/include" - ||
  fail "the installed header does not compile alone"
other=$(grep '^ *# *include' "$header" | grep -v -E '^#include <[a-z_]+>$' || true)
[ -z "$other" ] || fail "the header includes more than the standard library: $other"
# Only the public API is exported: no internals, no copy of a library linked in.
exported=$(nm -D --defined-only "$lib" | c++filt | awk '{ $1 = ""; $2 = ""; print }')
# (__bss_start, _edata and _end are the linker's section markers, in any shared library.)
leaked=$(grep -v -E '^ *(qiss::(version|Exception|Searcher)|(typeinfo|typeinfo name|vtable) for qiss::Exception|(__bss_start|_edata|_end)$)' <<<"$exported" || true)
[ -z "$leaked" ] || fail "exported beyond the public API:
$leaked"

(cd "$work" && run_clean cmake -S "$src/examples/search" -B "$work/example" \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF \
  >"$work/example.log" 2>&1 && run_clean cmake --build "$work/example" >>"$work/example.log" 2>&1) ||
  { cat "$work/example.log" >&2; fail "building examples/search against $prefix"; }
grep -rq -e "$build" -e "$src/src" -e "$src/include" "$work/example/CMakeCache.txt" "$work/example/CMakeFiles" &&
  fail "the example's build refers to the qiss build or source tree"

copy_emoji "$src" "$work/images"
qiss=$prefix/bin/qiss
run_clean "$qiss" index --data "$work/data" --model "$build/test-data/tiny.qiss" "$work/images" \
  >"$work/index.log" 2>&1 || { cat "$work/index.log" >&2; fail "qiss index"; }

example=$work/example/qiss_example
out=$(run_clean "$example" "$work/data" pizza 3) || fail "the example: $out"
echo "$out"
grep -qx "qiss [0-9.]*, 4 images" <<<"$out" || fail "first line: $out"
# Lines "ID<tab>SCORE<tab>RELEVANCE<tab>WxH<tab>SOURCE" after "text:" and after "similar:".
section() { awk -v s="$1:" '/:$/ {on = ($0 == s); next} on' <<<"$out"; }
text_ids=$(section text | cut -f1)
similar_ids=$(section similar | cut -f1)
ids_of() { sed 's/.*"results"://' | grep -o '"id":[0-9]*' | cut -d: -f2; }  # the results' ids
cli_text=$(run_clean "$qiss" search --json --data "$work/data" --text pizza -k 3 | ids_of)
[ "$text_ids" = "$cli_text" ] || fail "text results: example $text_ids, qiss search $cli_text"
top=$(head -1 <<<"$text_ids")
cli_similar=$(run_clean "$qiss" search --json --data "$work/data" --id "$top" -k 3 | ids_of)
[ "$similar_ids" = "$cli_similar" ] ||
  fail "similar($top): example $similar_ids, qiss search --id $cli_similar"
[ "$(wc -l <<<"$text_ids")" -eq 3 ] || fail "expected 3 text results"
for s in text similar; do
  section "$s" | cut -f2 | sort -g -r -c || fail "$s scores not in descending order"
  # The tiny model is calibrated: every result has a relevance in [0, 1], falling with the score.
  section "$s" | cut -f3 | awk '!($1 ~ /^[0-9.e-]+$/ && $1 >= 0 && $1 <= 1) {exit 1}' ||
    fail "$s relevance not in [0, 1]: $(section "$s" | cut -f3 | tr '\n' ' ')"
  section "$s" | cut -f3 | sort -g -r -c || fail "$s relevance not in descending order"
done

err=$(run_clean "$example" "$work/missing" pizza 2>&1) && fail "opened a missing DATADIR"
grep -q "^error: .*missing" <<<"$err" || fail "error message: $err"
echo "library_example: ok ($(basename "$lib"), $(grep -c . <<<"$exported") exported symbols)"
