#!/usr/bin/env bash
# CTest `service_unit`: installs the build into a scratch prefix (`cmake --install`), then checks the
# systemd unit it holds with `systemd-analyze verify` (its ExecStart names the installed binary,
# which therefore exists), its hardening with `systemd-analyze security --offline` (exposure at
# most QISS_UNIT_MAX_EXPOSURE tenths, 20 = 2.0 by default), and that the installed binary accepts the
# installed config file.   tests/install/unit_verify.sh BUILD_DIR
build=$1
max_exposure=${QISS_UNIT_MAX_EXPOSURE:-20}  # tenths: systemd-analyze's --threshold
. "$(dirname "$0")/common.sh" unit

prefix=$work/usr
install_into "$build" "$prefix"
unit=$prefix/lib/systemd/system/qiss.service
conf=$prefix/etc/qiss/qiss.toml
[ -f "$unit" ] || fail "no $unit"
[ -f "$conf" ] || fail "no $conf"
grep -qx "ExecStart=$prefix/bin/qiss serve --config $conf" "$unit" ||
  fail "ExecStart does not name the installed binary and config: $(grep ExecStart= "$unit")"

# verify prints nothing for a clean unit; any warning fails the test.
out=$(systemd-analyze verify --man=no "$unit" 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"

security=$(systemd-analyze security --offline=yes --threshold="$max_exposure" "$unit" 2>&1) ||
  fail "exposure above $max_exposure/10: $security"
grep "Overall exposure" <<<"$security"

"$prefix/bin/qiss" serve --config "$conf" --print-config >"$work/print.log" 2>&1 ||
  { cat "$work/print.log" >&2; fail "the installed config file is refused"; }
grep -q '^data = "/var/lib/qiss"' "$work/print.log" || fail "data: $(cat "$work/print.log")"
echo "service_unit: ok"
