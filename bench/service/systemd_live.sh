#!/usr/bin/env bash
# qiss.service under a booted systemd (docs/operations.md, "Checked under a booted systemd").
# Boots a throw-away system container whose root is this machine's own / (read-only bind mount,
# every write into a tmpfs overlay: systemd-nspawn --volatile=overlay), with its own network
# namespace (only lo), and there does what docs/operations.md tells an operator to do, checking
# each step: dpkg -i; a start before the collection exists (StartLimitBurst tries, then failed);
# `qiss index` of QISS_LIVE_COUNT emoji into /var/lib/qiss as the service's dynamic user
# (systemd-run); enable and start: readiness (Type=notify), /api/health and a text search, the
# process's user and privileges, a restart after SIGKILL, `qiss index` while it serves, a clean
# stop; writable with the token as a credential: an upload and a delete, a clean stop that saves
# the index, the collection afterwards; the journal; dpkg -i over the running service (restart)
# and dpkg -r (stopped, disabled, the collection kept).
# Prints one "ok:" or "FAIL:" line per check; exits 1 on any failure. Nothing on the host changes:
# the mounts live in a private mount namespace and the container's writes in its tmpfs.
#
#   sudo bench/service/systemd_live.sh BUILD_DIR        # packages BUILD_DIR with cpack first
#   sudo bench/service/systemd_live.sh --deb qiss_0.2.0_amd64.deb
#   QISS_LIVE_DROPIN=F ...   # F as a drop-in of qiss.service (a unit defect to see the checks fail)
#
# Needs root and the Debian packages systemd, systemd-container (systemd-nspawn), util-linux
# (unshare, nsenter, mountpoint), procps (pgrep), curl, openssl, and qiss's run-time libraries on
# this machine (the container's root is this machine's /, so the .deb's dependencies must already
# be installed: scripts/install-deps.sh); cmake (cpack) for BUILD_DIR.
# Not part of CI. Environment: see the defaults below.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
IMAGES=${QISS_LIVE_IMAGES:-$src/node_modules/emoji-datasource-google/img/google/64}
COUNT=${QISS_LIVE_COUNT:-50}                    # images indexed (4 named ones + the first others)
BOOT_TIMEOUT=${QISS_LIVE_BOOT_TIMEOUT:-180}     # seconds for the container to finish booting
START_TIMEOUT=${QISS_LIVE_START_TIMEOUT:-300}   # seconds for qiss.service to become active
INDEX_TIMEOUT=${QISS_LIVE_INDEX_TIMEOUT:-600}   # seconds for `qiss index`
DROPIN=${QISS_LIVE_DROPIN:-}                    # a drop-in file for qiss.service, none by default

usage() { echo "usage: $0 BUILD_DIR | --deb FILE" >&2; exit 2; }
[ $# -ge 1 ] || usage
[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (systemd-nspawn)" >&2; exit 1; }
if [ "${QISS_LIVE_IN_NAMESPACE:-}" != 1 ]; then
  # Every mount below (tmpfs on /run, the bind mount of /) stays in this private namespace.
  exec unshare --mount --propagation private env QISS_LIVE_IN_NAMESPACE=1 "$BASH" "$0" "$@"
fi

work=$(mktemp -d /tmp/qiss-live.XXXXXX)
lower=$(mktemp -d /tmp/qiss-live-root.XXXXXX)  # the bind mount of /: outside $work, never rm -r
nspawn_pid=
failures=0
cleanup() {
  set +e
  if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
    kill -TERM "$nspawn_pid"  # nspawn forwards SIGRTMIN+3: the container powers off
    for _ in $(seq 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$nspawn_pid" 2>/dev/null && kill -KILL "$nspawn_pid"
    wait "$nspawn_pid" 2>/dev/null
  fi
  if mountpoint -q "$lower"; then umount "$lower" || umount -l "$lower"; fi
  mountpoint -q "$lower" || rmdir "$lower"
  rm -rf "$work"
}
trap cleanup EXIT
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() { echo "FAIL: $*"; [ -f "$work/nspawn.log" ] && sed 's/^/  nspawn: /' "$work/nspawn.log"; exit 1; }

case $1 in
  --deb) [ $# -eq 2 ] || usage; deb=$(realpath "$2") ;;
  *)
    (cd "$1" && nice -n 19 cpack -G DEB -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
      { cat "$work/cpack.log"; die "cpack in $1"; }
    deb=$(ls "$work"/pkg/qiss_*.deb) ;;
esac
[ -f "$deb" ] || die "no .deb: $deb"
[ -d "$IMAGES" ] || die "no image folder $IMAGES (QISS_LIVE_IMAGES)"

# What the container sees read-only under /mnt/qiss-live: the .deb and the images.
in=$work/in
mkdir -p "$in/images"
chmod 755 "$in" "$in/images"
cp "$deb" "$in/qiss.deb"
named="1f431 1f436 1f355 2764-fe0f"  # cat, dog, pizza, red heart
for e in $named; do cp "$IMAGES/$e.png" "$in/images/"; done
mapfile -t others < <(find "$IMAGES" -maxdepth 1 -name '*.png' | sort |
  grep -v -E "/($(tr ' ' '|' <<<"$named"))\.png$")
cp -t "$in/images/" "${others[@]:0:COUNT-4}"
mkdir -m 755 "$in/more"  # two images not in the collection: `qiss index` while serving, a POST
cp "${others[COUNT-4]}" "$in/more/"
cp "${others[COUNT-3]}" "$in/upload.png"
[ -z "$DROPIN" ] || cp "$DROPIN" "$in/dropin.conf"
chmod 644 "$in"/images/*.png "$in"/more/*.png "$in"/*.*
echo "images: $(find "$in/images" -name '*.png' | wc -l) from $IMAGES; package: $(basename "$deb")"

# nspawn keeps its locks and mount propagation folder under /run: a tmpfs of this namespace.
mount -t tmpfs -o mode=755 tmpfs /run
mount --bind / "$lower"
mount -o remount,bind,ro "$lower"
machine=qiss-live-$$
# --volatile=overlay refuses the path "/" itself, hence the bind mount; --register=no and
# --keep-unit: there is no systemd (machined, a system bus) on the host to register with.
# CAP_IPC_LOCK: without it nspawn's seccomp filter makes mlock(2) fail with EPERM for every
# process of the container, unlike on a machine, where RLIMIT_MEMLOCK (8 MiB) lets the service
# lock a few pages (libgcrypt, loaded through OpenCV, warns "using insecure memory" otherwise).
systemd-nspawn --quiet --directory="$lower" --volatile=overlay --boot --register=no --keep-unit \
  --machine="$machine" --private-network --capability=CAP_IPC_LOCK --link-journal=no \
  --console=passive \
  --bind-ro="$in:/mnt/qiss-live" >"$work/nspawn.log" 2>&1 &
nspawn_pid=$!

init=
for _ in $(seq 100); do
  for p in $(pgrep -P "$nspawn_pid" || true); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && init=$p
  done
  [ -n "$init" ] && break
  kill -0 "$nspawn_pid" 2>/dev/null || die "systemd-nspawn exited"
  sleep 0.2
done
[ -n "$init" ] || die "no systemd in the container after 20 s"

# in_ct CMD...: CMD inside the container (its namespaces and root), in a clean environment.
in_ct() {
  nsenter --target "$init" --mount --uts --ipc --net --pid --cgroup --root --wd -- \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"
}
show() { in_ct systemctl show --value -p "$1" qiss; }

t0=$SECONDS
until in_ct test -S /run/systemd/private; do  # the manager's socket for systemctl
  [ $((SECONDS - t0)) -lt "$BOOT_TIMEOUT" ] || die "no /run/systemd/private after $BOOT_TIMEOUT s"
  kill -0 "$nspawn_pid" 2>/dev/null || die "systemd-nspawn exited"
  sleep 0.5
done
state=$(in_ct timeout "$BOOT_TIMEOUT" systemctl is-system-running --wait 2>&1 || true)
case $state in
  running | degraded) ok "container booted: systemd $(in_ct systemctl --version | head -1 |
    cut -d' ' -f2), is-system-running=$state after $((SECONDS - t0)) s, PID 1 on the host: $init" ;;
  *) die "container boot: is-system-running=$state" ;;
esac
[ "$state" = degraded ] && echo "  failed units (not ours): $(in_ct systemctl --failed --no-legend \
  --plain | cut -d' ' -f1 | tr '\n' ' ')"
[ "$(in_ct readlink /proc/1/exe)" = /usr/lib/systemd/systemd ] || die "PID 1 is not systemd"

out=$(in_ct dpkg -i /mnt/qiss-live/qiss.deb 2>&1) || die "dpkg -i: $out"
in_ct test -f /usr/lib/systemd/system/qiss.service || die "dpkg -i installed no unit"
# shellcheck disable=SC2016 # dpkg-query expands ${Package}
ok "dpkg -i $(basename "$deb"): $(in_ct dpkg-query -W -f='${Package} ${Version} ${Status}' qiss)"
enabled=$(in_ct systemctl is-enabled qiss 2>&1 || true)
if [ "$enabled" = disabled ]; then ok "installed, not enabled"; else bad "is-enabled: $enabled"; fi
port=$(in_ct qiss serve --config /etc/qiss/qiss.toml --print-config | awk '$1 == "port" {print $3}')
[ -n "$port" ] || die "no port in /etc/qiss/qiss.toml"

# Started before the collection exists: a read-only server exits ("not a qiss collection"),
# systemd restarts it until StartLimitBurst, then leaves it failed (docs/operations.md).
if in_ct timeout 120 systemctl start qiss 2>/dev/null; then
  bad "qiss started without a collection"
else
  early=
  for _ in $(seq 120); do
    early=$(in_ct journalctl -u qiss --no-pager -o cat)
    grep -q "Start request repeated too quickly" <<<"$early" && break
    sleep 1
  done
  tries=$(grep -c "is not a qiss collection" <<<"$early" || true)
  if [ "$(show ActiveState)" = failed ] && grep -q "Start request repeated too quickly" <<<"$early" &&
    [ "$tries" = "$(show StartLimitBurst)" ]; then
    ok "no collection yet: \"$(grep -m1 "is not a qiss collection" <<<"$early")\",
    $tries tries (StartLimitBurst), \"Start request repeated too quickly\", $(show ActiveState)"
  else
    bad "no collection yet: $(show ActiveState), $tries tries"
    in_ct journalctl -u qiss --no-pager -o short-monotonic | tail -20
  fi
fi
in_ct systemctl reset-failed qiss
in_ct journalctl --rotate --vacuum-time=1s --quiet  # the journal checks below: the served collection

# The collection, as docs/operations.md tells an operator to make it.
t0=$SECONDS
if out=$(in_ct timeout "$INDEX_TIMEOUT" systemd-run --quiet --pipe --wait -p DynamicUser=yes \
  -p User=qiss -p StateDirectory=qiss qiss index --data /var/lib/qiss /mnt/qiss-live/images 2>&1); then
  ok "qiss index as the dynamic user qiss: $(grep -c . <<<"$out") lines of output, $((SECONDS - t0)) s"
else
  echo "$out" | tail -20; die "qiss index through systemd-run"
fi
echo "  $(in_ct ls -ld /var/lib/private/qiss)"

# `systemctl enable --now qiss` of docs/operations.md, the start without waiting to watch the
# states: active must come only with READY=1, at which point the port already answers.
[ "$(in_ct systemctl is-active qiss || true)" = inactive ] || bad "qiss active before start"
in_ct systemctl enable --quiet qiss
if [ -n "$DROPIN" ]; then
  in_ct mkdir -p /etc/systemd/system/qiss.service.d
  in_ct cp /mnt/qiss-live/dropin.conf /etc/systemd/system/qiss.service.d/live.conf
  in_ct systemctl daemon-reload
  echo "  drop-in $DROPIN: $(tr '\n' ' ' <"$DROPIN")"
fi
in_ct systemctl start --no-block qiss
states=
health_code=
deadline=$((SECONDS + START_TIMEOUT))
while [ $SECONDS -lt $deadline ]; do
  s=$(in_ct systemctl is-active qiss || true)
  [ "${states##* }" = "$s" ] || states="$states $s"
  if [ "$s" = active ]; then
    health_code=$(in_ct curl -sS -o /dev/null -w '%{http_code}' \
      "http://127.0.0.1:$port/api/health" 2>"$work/curl.err" || true)
    break
  fi
  [ "$s" = failed ] && break
  sleep 0.1
done
echo "  states seen:$states"
echo "  $(in_ct systemctl show -p Type,ActiveState,SubState,MainPID,NRestarts,StatusText qiss | tr '\n' ' ')"
start_us=$(show ExecMainStartTimestampMonotonic)
active_us=$(show ActiveEnterTimestampMonotonic)
if [ "$(show Type)" = notify ] && [ "$(show ActiveState)" = active ] && [ "$health_code" = 200 ] &&
  [[ $states == " activating active" ]] && [[ $(show StatusText) == serving* ]]; then
  ok "Type=notify: activating -> active $(((active_us - start_us) / 1000)) ms after exec (READY=1),
    /api/health 200 at the first active poll, STATUS=\"$(show StatusText)\""
else
  bad "readiness: states '$states', /api/health at the first active poll: $health_code $(cat "$work/curl.err")"
fi

health=$(in_ct curl -s -w '\n%{http_code} %{content_type}' "http://127.0.0.1:$port/api/health" || true)
if [[ $(tail -1 <<<"$health") == "200 application/json"* ]] && grep -q '"status":"ok"' <<<"$health"; then
  ok "GET /api/health: $(head -1 <<<"$health" | cut -c1-160)"
else
  bad "GET /api/health: $health"
fi
search=$(in_ct curl -s -w '\n%{http_code} %{content_type}' "http://127.0.0.1:$port/api/search?q=pizza&k=3" || true)
if [[ $(tail -1 <<<"$search") == "200 application/json"* ]] &&
  [ "$(head -1 <<<"$search" | grep -o '"id":' | wc -l)" = 3 ]; then
  ok "GET /api/search?q=pizza&k=3: 200, sources $(head -1 <<<"$search" | grep -o '"source":"[^"]*"' |
    cut -d'"' -f4 | tr '\n' ' ')"
else
  bad "GET /api/search: $search"
fi

# The process: a dynamic user (61184..65519), no new privileges, no capabilities, seccomp.
pid=$(show MainPID)
status=$(in_ct cat "/proc/$pid/status")
uid=$(awk '/^Uid:/ {print $2}' <<<"$status")
field() { awk -v f="$1:" '$1 == f {print $2}' <<<"$status"; }
if [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ] && [ "$(field NoNewPrivs)" = 1 ] &&
  [ "$(field CapEff)" = 0000000000000000 ] && [ "$(field CapBnd)" = 0000000000000000 ] &&
  [ "$(field Seccomp)" = 2 ]; then
  ok "MainPID $pid: user $(in_ct ps -o user= -p "$pid"), $(grep '^Uid:' <<<"$status" | tr -s '\t' ' '),
    NoNewPrivs $(field NoNewPrivs), CapEff $(field CapEff), CapBnd $(field CapBnd), Seccomp $(field Seccomp)"
else
  bad "MainPID $pid: $(grep -E '^(Uid|NoNewPrivs|CapEff|CapBnd|Seccomp):' <<<"$status" | tr '\n\t' '  ')"
fi
owner=$(in_ct stat -c %u /var/lib/private/qiss)
if [ "$owner" = "$uid" ]; then ok "/var/lib/private/qiss (StateDirectory) owned by uid $uid"
else bad "/var/lib/private/qiss owned by uid $owner, not $uid"; fi

# SIGKILL: Restart=on-failure brings it back after RestartSec.
in_ct kill -9 "$pid"
new=
for _ in $(seq 300); do
  sleep 0.2
  if [ "$(show NRestarts)" = 1 ] && [ "$(show ActiveState)" = active ]; then
    new=$(show MainPID)
    break
  fi
done
code=$(in_ct curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/health" || true)
if [ -n "$new" ] && [ "$new" != "$pid" ] && [ "$code" = 200 ]; then
  ok "kill -9 $pid: restarted, $(in_ct systemctl show -p ActiveState,SubState,MainPID,NRestarts qiss |
    tr '\n' ' ')/api/health $code"
else
  bad "no restart after kill -9: $(in_ct systemctl show -p ActiveState,SubState,MainPID,NRestarts qiss | tr '\n' ' ')"
fi

# `qiss index` into the served collection (the same command, while it runs): the read-only
# server follows within refresh-interval.
if in_ct timeout "$INDEX_TIMEOUT" systemd-run --quiet --pipe --wait -p DynamicUser=yes -p User=qiss \
  -p StateDirectory=qiss qiss index --data /var/lib/qiss /mnt/qiss-live/more >/dev/null 2>&1; then
  images=
  for _ in $(seq 50); do
    images=$(in_ct curl -s "http://127.0.0.1:$port/api/health" | grep -o '"images":[0-9]*' | cut -d: -f2 || true)
    [ "$images" = $((COUNT + 1)) ] && break
    sleep 0.2
  done
  if [ "$images" = $((COUNT + 1)) ]; then ok "qiss index while serving: the server follows, $images images"
  else bad "qiss index while serving: the server shows $images images, not $((COUNT + 1))"; fi
else
  bad "qiss index while serving failed"
fi

# SIGTERM: a clean exit (status 0) well within TimeoutStopSec.
t0=$(date +%s%N)
in_ct timeout 120 systemctl stop qiss || true
ms=$((($(date +%s%N) - t0) / 1000000))
result="$(show ActiveState) Result=$(show Result) ExecMainCode=$(show ExecMainCode) ExecMainStatus=$(show ExecMainStatus)"
limit_ms=$(($(systemd-analyze timespan "$(show TimeoutStopUSec)" | awk '$1 == "μs:" {print $2}') / 1000))
if [ "$result" = "inactive Result=success ExecMainCode=1 ExecMainStatus=0" ] && [ "$ms" -lt "$limit_ms" ]; then
  ok "systemctl stop: $ms ms (TimeoutStopSec $((limit_ms / 1000)) s), $result"
else
  bad "systemctl stop: $ms ms, $result"
fi

# Writable: the token as a credential, as docs/operations.md shows (`systemctl edit` writes
# the override.conf below).
# shellcheck disable=SC2016 # openssl runs in the container
in_ct sh -c 'install -m 600 /dev/stdin /etc/qiss/token <<EOF
$(openssl rand -hex 32)
EOF'
in_ct mkdir -p /etc/systemd/system/qiss.service.d
printf '[Service]\nLoadCredential=token:/etc/qiss/token\nEnvironment=QISS_TOKEN_FILE=%%d/token\n' |
  in_ct tee /etc/systemd/system/qiss.service.d/override.conf >/dev/null
in_ct systemctl daemon-reload
if in_ct timeout "$START_TIMEOUT" systemctl start qiss; then
  health=$(in_ct curl -s "http://127.0.0.1:$port/api/health" || true)
  if grep -q '"writable":true' <<<"$health"; then ok "writable with the token credential: $(show StatusText)"
  else bad "not writable with the token credential: $health"; fi
else
  bad "systemctl start with the token credential: $(show ActiveState) $(show Result)"
fi
token=$(in_ct head -1 /etc/qiss/token)
post=$(in_ct curl -s -w '\n%{http_code}' -H "Authorization: Bearer $token" -F image=@/mnt/qiss-live/upload.png \
  -F caption='uploaded under systemd' "http://127.0.0.1:$port/api/images" || true)
added=$(head -1 <<<"$post" | grep -o '"id":[0-9]*' | head -1 | cut -d: -f2 || true)
anon=$(in_ct curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$port/api/images/1" || true)
del=$(in_ct curl -s -w '\n%{http_code}' -X DELETE -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/images/1" || true)
images=$(in_ct curl -s "http://127.0.0.1:$port/api/health" | grep -o '"images":[0-9]*' | cut -d: -f2 || true)
if [ "$(tail -1 <<<"$post")" = 201 ] && [ -n "$added" ] && [ "$anon" = 401 ] &&
  [ "$(tail -1 <<<"$del")" = 200 ] && [ "$images" = $((COUNT + 1)) ]; then
  ok "POST /api/images 201 (id $added), DELETE without the token 401, with it 200; $images images"
else
  bad "writes: POST $(tr '\n' ' ' <<<"$post"), DELETE $anon / $(tr '\n' ' ' <<<"$del"), images $images"
fi
t0=$(date +%s%N)
in_ct timeout 120 systemctl stop qiss || true
ms=$((($(date +%s%N) - t0) / 1000000))
result="$(show ActiveState) Result=$(show Result) ExecMainCode=$(show ExecMainCode) ExecMainStatus=$(show ExecMainStatus)"
if [ "$result" = "inactive Result=success ExecMainCode=1 ExecMainStatus=0" ] && [ "$ms" -lt "$limit_ms" ]; then
  ok "systemctl stop (writable: saves the index): $ms ms, $result"
else
  bad "systemctl stop (writable): $ms ms, $result"
fi
# The collection afterwards, read as the service's user: the upload in, the delete out, the index
# saved at the stop (no rebuild or repair warning).
info=$(in_ct systemd-run --quiet --pipe --wait -p DynamicUser=yes -p User=qiss -p StateDirectory=qiss \
  qiss info --json --data /var/lib/qiss 2>&1 || true)
if grep -q "\"images\":$((COUNT + 1))," <<<"$info" && ! grep -q -i -E "warn|error|rebuil|repair" <<<"$info"; then
  ok "qiss info after the stop: $(grep -o '"images":[0-9]*' <<<"$info" | head -1), no warning"
else
  bad "qiss info after the stop: $info"
fi

journal=$(in_ct journalctl -u qiss --no-pager -o short-monotonic)
echo "--- journalctl -u qiss"
echo "$journal"
echo "---"
if grep -q "code=killed, status=9/KILL" <<<"$journal" && grep -q "restart counter is at 1" <<<"$journal" &&
  [ "$(grep -c "Deactivated successfully" <<<"$journal")" = 2 ]; then
  ok "journal: the kill, the restart and the two clean stops are recorded"
else
  bad "journal: no record of the kill, the restart or the clean stop"
fi
# The server's own lines (and libraries' stderr): no warning or error, which a hardening option
# that breaks something quietly would cause.
own=$(grep -E " qiss\[[0-9]+\]: " <<<"$journal" || true)
if grep -q -i -E "warn|error|insecure|denied|not permitted" <<<"$own"; then
  bad "warnings of qiss in the journal: $(grep -i -E "warn|error|insecure|denied|not permitted" <<<"$own")"
else
  ok "no warning or error among the $(grep -c . <<<"$own") lines of qiss in the journal"
fi

# The maintainer scripts under a running systemd: an upgrade (the same .deb again) restarts the
# running service (postinst: try-restart); a removal stops and disables it and keeps the
# collection (prerm).
in_ct timeout "$START_TIMEOUT" systemctl start qiss || true
before=$(show MainPID)
out=$(in_ct dpkg -i /mnt/qiss-live/qiss.deb 2>&1) || bad "dpkg -i again: $out"
after=$(show MainPID)
if [ "$before" != 0 ] && [ "$after" != 0 ] && [ "$after" != "$before" ] &&
  [ "$(show ActiveState)" = active ]; then
  ok "dpkg -i over the running service: restarted (MainPID $before -> $after), active"
else
  bad "dpkg -i over the running service: MainPID $before -> $after, $(show ActiveState)"
fi
out=$(in_ct dpkg -r qiss 2>&1) || bad "dpkg -r: $out"
left=$(in_ct find /var/lib/private/qiss -maxdepth 1 -name 'model.qiss' | wc -l)
if [ "$(in_ct systemctl is-active qiss || true)" = inactive ] &&
  ! in_ct test -e /etc/systemd/system/multi-user.target.wants/qiss.service &&
  ! in_ct test -e /usr/bin/qiss && [ "$left" = 1 ]; then
  ok "dpkg -r qiss: stopped, disabled, the collection kept in /var/lib/private/qiss"
else
  bad "dpkg -r qiss: $(in_ct systemctl is-active qiss || true), collection files $left"
fi

if [ "$failures" -ne 0 ]; then echo "systemd_live: $failures check(s) failed"; exit 1; fi
echo "systemd_live: ok ($SECONDS s)"
