#!/usr/bin/env bash
# CTest `install_deb`: builds the .deb with CPack, unpacks it into a scratch root (dpkg -x) and
# runs `qiss index` + `qiss search` from there in an empty environment, so that nothing comes
# from the build tree: the binary must find its SentencePiece plugin and default model relative
# to itself.   tests/install/deb_install.sh BUILD_DIR SOURCE_DIR
build=$1
src=$2
. "$(dirname "$0")/common.sh" deb

(cd "$build" && cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/pkg/qiss_*.deb) || fail "no .deb in $work/pkg"
info=$(dpkg-deb --info "$deb")
grep -q "Package: qiss" <<<"$info" || fail "package name: $info"
grep -Eq "Depends:.*libtorch" <<<"$info" || fail "no libtorch dependency: $info"
contents=$(dpkg-deb --contents "$deb")
grep -q "usr/share/man/man1/qiss.1" <<<"$contents" || fail "no man page"
grep -q " ./usr/lib/systemd/system/qiss.service$" <<<"$contents" || fail "no systemd unit"
grep -q " ./etc/qiss/qiss.toml$" <<<"$contents" || fail "no config file"
[ "$(dpkg-deb --info "$deb" conffiles)" = /etc/qiss/qiss.toml ] || fail "qiss.toml is not a conffile"
for f in usr/include/qiss/qiss.h usr/lib/libqiss.so usr/lib/cmake/qiss/qissConfig.cmake; do
  grep -Eq " ./$f( |$)" <<<"$contents" || fail "no $f (the C++ library)"
done
grep -q "^libqiss " <<<"$(dpkg-deb --info "$deb" shlibs)" || fail "no shlibs entry for libqiss"
grep -qx "activate-noawait ldconfig" <<<"$(dpkg-deb --info "$deb" triggers)" ||
  fail "no ldconfig trigger"
root=$work/root
dpkg -x "$deb" "$root"
bin=$root/usr/bin/qiss
[ -x "$bin" ] || fail "no $bin"

run() { run_clean "$bin" "$@"; }
grep -qx "ExecStart=/usr/bin/qiss serve --config /etc/qiss/qiss.toml" \
  "$root/usr/lib/systemd/system/qiss.service" || fail "the unit's ExecStart: $(grep ExecStart= \
  "$root/usr/lib/systemd/system/qiss.service")"
cd "$work"
version=$(run --version)
echo "$version"
grep -q "SentencePiece plugin: $root/usr/lib/qiss/libqiss_spm.so" <<<"$version" ||
  fail "plugin not the installed one"
grep -q "default model: $root/usr/share/qiss/qiss-default.qiss" <<<"$version" ||
  fail "default model not the installed one"

copy_emoji "$src" "$work/images"
run index --data "$work/collection" "$work/images" >"$work/index.log" 2>&1 ||
  { cat "$work/index.log" >&2; fail "qiss index"; }
sha=$(sha256sum "$root/usr/share/qiss/qiss-default.qiss" | cut -d' ' -f1)
collection=$(run info --json --data "$work/collection")
grep -q "\"model_fingerprint\":\"$sha\"" <<<"$collection" ||
  fail "the collection does not use the installed model"
out=$(run search --json --data "$work/collection" --text pizza -k 4)
grep -q '"results":\[' <<<"$out" || fail "search: $out"
[ "$(echo "$out" | grep -o '"id":' | wc -l)" -ge 4 ] || fail "expected 4 results: $out"
settings=$(run serve --config "$root/etc/qiss/qiss.toml" --print-config) ||
  fail "the installed binary refuses the installed config file"
grep -q '^data = "/var/lib/qiss"' <<<"$settings" || fail "config file: $settings"
echo "install_deb: ok ($(basename "$deb"), $(du -h "$deb" | cut -f1))"
