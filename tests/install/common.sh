# Sourced by the install tests (deb_install.sh, unit_verify.sh, library_example.sh) with the
# scratch folder's tag as argument: the scratch folder $work (removed at exit), fail, installing
# the build into a scratch prefix, a few emoji to index, and running an installed program in an
# empty environment, so that nothing comes from the build tree.
set -euo pipefail
work=$(mktemp -d "/tmp/qiss-${1:-install}.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# install_into BUILD_DIR PREFIX: `cmake --install`, its log shown only when it fails.
install_into() {
  cmake --install "$1" --prefix "$2" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "cmake --install"; }
}

# copy_emoji SOURCE_DIR DEST: four emoji PNGs (cat, dog, pizza, red heart) to index.
copy_emoji() {
  mkdir -p "$2"
  local e
  for e in 1f431 1f436 1f355 2764-fe0f; do
    cp "$1/node_modules/emoji-datasource-apple/img/apple/64/$e.png" "$2/"
  done
}

# run_clean PROGRAM ARGS...: PROGRAM in an empty environment.
run_clean() { env -i PATH=/usr/bin:/bin HOME="$work" "$@"; }
