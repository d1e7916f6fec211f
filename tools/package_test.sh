#!/usr/bin/env bash
# `make package-test`: the .debs as an administrator meets them, in a fresh Debian 12 root.
#  1. make deb (lintian included), and a fresh bookworm root from debootstrap (its tarball is
#     cached in $CACHE, so a second run does not download it again; so are the .debs apt fetches)
#  2. apt-get install ./samband-{agent,broker,tools}_V.deb: the runtime libraries come from
#     Depends alone; files, owners and modes as docs/operations.md says
#  3. samband-broker init and samband-agent setup as the packaged layout expects, enrol, then
#     both programs as the samband user with their units' ExecStart= lines (no systemd in a
#     chroot), and a report arriving at the broker
#  4. upgrade to a rebuilt V+pkgtest package: config, keys and data kept, still reporting
#  5. remove (data kept), purge (what the packages made is gone, an administrator's file stays)
# Needs root (chroot, mount). Exits non-zero at the first thing that is not as it should be.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
CACHE=${SAMBAND_PACKAGE_TEST_CACHE:-/var/cache/samband-package-test}
SUITE=bookworm
MIRROR=${SAMBAND_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*debian\)$/\1/p' \
  /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
OUT=build-packages
LOGS=$CACHE/last-run  # the logs of the latest run, for a look after a failure

step() { echo "== [$(( $(date +%s) - started )) s] $*"; }
die() { echo "package-test: FAILED: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (debootstrap, chroot and mount need it)"

version=$(sed -n 's/^project(samband VERSION \([0-9][0-9.]*\).*/\1/p' CMakeLists.txt)
upgrade_version="$version+pkgtest1"

step "make deb ($version)"
DEB_VERSION=$version ./tools/deb.sh

# --- a fresh root ---------------------------------------------------------------------------
mkdir -p "$CACHE/archives/partial"
base="$CACHE/$SUITE-minbase.tar"
if [ ! -s "$base" ]; then
  step "debootstrap $SUITE from $MIRROR (cached afterwards in $base)"
  tmpbase=$(mktemp -d /var/tmp/samband-debootstrap.XXXXXX)
  if ! debootstrap --variant=minbase "$SUITE" "$tmpbase" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1; then
    tail -20 "$CACHE/debootstrap.log" >&2
    rm -rf "$tmpbase"
    die "debootstrap could not build a $SUITE root from $MIRROR (log: $CACHE/debootstrap.log). Is the Debian mirror reachable from here? Set SAMBAND_DEBIAN_MIRROR to one that is."
  fi
  tar -C "$tmpbase" -cf "$base.partial" . && mv "$base.partial" "$base"
  rm -rf "$tmpbase"
fi
rm -rf "$LOGS" && mkdir -p "$LOGS"
root=$(mktemp -d /var/tmp/samband-package-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  for m in var/cache/apt/archives dev proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
  done
  rm -rf "$root"
}
trap cleanup EXIT
step "unpack the $SUITE root into $root"
tar -C "$root" -xf "$base"
# mktemp -d made the root 0700 (and the tarball may carry that mode for "."): the samband user
# must be able to enter it, as it can enter / on a real system.
chmod 755 "$root"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind "$CACHE/archives" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
# No service may start inside the root (there is no systemd there anyway).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
echo "deb $MIRROR $SUITE main" > "$root/etc/apt/sources.list"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

step "apt-get update in the root"
in_root apt-get update -qq || die "apt-get update in the root failed: is $MIRROR reachable?"

install_debs() {  # VERSION
  mkdir -p "$root/tmp/debs"
  rm -f "$root"/tmp/debs/*.deb
  cp "$OUT"/samband-{agent,broker,tools}_"$1"_*.deb "$root/tmp/debs/"
  in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends /tmp/debs/*.deb' \
    >"$LOGS/apt-$1.log" 2>&1 || { cat "$LOGS/apt-$1.log"; die "apt-get install of $1 failed"; }
}

step "install the $version packages (Depends pull in the libraries)"
before=$(in_root dpkg-query -W -f='${Package}\n' | sort)
install_debs "$version"
after=$(in_root dpkg-query -W -f='${Package}\n' | sort)
echo "installed with them: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
for b in samband-agent samband-agent-form samband-broker samband-sim; do
  missing=$(in_root ldd "/usr/bin/$b" | grep "not found" || true)
  [ -z "$missing" ] || die "/usr/bin/$b lacks libraries after install: $missing"
  in_root "/usr/bin/$b" --version | grep -q "^$b $version" || die "$b --version does not say $version"
done

# --- files, owners, modes ---------------------------------------------------------------------
expect() {  # PATH OWNER:GROUP MODE
  local got
  got=$(in_root stat -c '%U:%G %a' "$1" 2>/dev/null) || die "$1 is missing"
  [ "$got" = "$2 $3" ] || die "$1 is $got, expected $2 $3"
}
step "check files, owners and modes"
in_root getent passwd samband | grep -q ':/var/lib/samband:/usr/sbin/nologin$' \
  || die "no system user samband with home /var/lib/samband and no login shell"
uid=$(in_root id -u samband); gid=$(in_root id -g samband)
[ "$uid" -lt 1000 ] || die "samband is not a system user (uid $uid)"
expect /usr/bin/samband-agent root:root 755
expect /usr/bin/samband-agent-form root:root 755
expect /usr/bin/samband-broker root:root 755
expect /usr/bin/samband-sim root:root 755
expect /etc/samband root:root 755
expect /var/lib/samband samband:samband 750
for u in samband-agent.service samband-broker.service samband-readiness.service samband-readiness.timer; do
  expect "/lib/systemd/system/$u" root:root 644
done
expect /usr/share/doc/samband-agent/examples/agent.example.toml root:root 644
expect /usr/share/doc/samband-broker/examples/broker.example.toml root:root 644
expect /usr/share/doc/samband-broker/operations.md root:root 644
[ -L "$root/etc/systemd/system/multi-user.target.wants/samband-broker.service" ] \
  || die "samband-broker.service is not enabled"
[ -L "$root/etc/systemd/system/multi-user.target.wants/samband-agent.service" ] \
  || die "samband-agent.service is not enabled"
[ ! -e "$root/etc/systemd/system/timers.target.wants/samband-readiness.timer" ] \
  || die "samband-readiness.timer is enabled, but docs/operations.md says it is left to the city"

# --- init, setup, enrol, run --------------------------------------------------------------------
free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 20000 ))
    [ "$p" != 7700 ] && [ "$p" != 8080 ] || continue
    ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && { echo "$p"; return; }
  done
}
port=$(free_port); board=$(free_port)
# The samband user's environment inside the root. An array, not a function, where the pid
# matters: `chroot` and `env` exec, so $! of a background "${as_samband[@]}" CMD & is CMD's.
as_samband=(chroot --userspec="$uid:$gid" "$root" env -i PATH=/usr/bin:/bin HOME=/var/lib/samband LANG=C.UTF-8)
as_samband() { "${as_samband[@]}" "$@"; }

step "samband-broker init and samband-agent setup (as root, as an administrator would)"
in_root samband-broker init --dir /var/lib/samband --config /etc/samband/broker.toml \
  --listen "tcp://127.0.0.1:$port" --board-listen "127.0.0.1:$board"
# The scheduled check would make the agent answer it; this test is about a report.
sed -i 's/^enabled = true/enabled = false/' "$root/etc/samband/broker.toml"
in_root samband-agent setup --no-input --provider 556677-8899 --name "Paketskolan AB" \
  --broker "127.0.0.1:$port" --city-keys /var/lib/samband/city.pub --unit 12345678 \
  --duty-contact "IT-jour 08-123 456 78" | tee "$LOGS/setup.log"
grep -q "Enrolment request: /var/lib/samband/enroll-request.json" "$LOGS/setup.log" \
  || die "setup did not print the enrolment request path"
expect /etc/samband/broker.toml root:root 644
expect /etc/samband/agent.toml root:root 644
expect /var/lib/samband/city.identity samband:samband 600
expect /var/lib/samband/agent.identity samband:samband 600
expect /var/lib/samband/samband.db samband:samband 600
expect /var/lib/samband/outbox.db samband:samband 600
expect /var/lib/samband/enroll-request.json samband:samband 644
as_samband samband-broker enroll --config /etc/samband/broker.toml \
  --request /var/lib/samband/enroll-request.json

exec_start() { sed -n 's/^ExecStart=//p' "$root/lib/systemd/system/$1"; }
start_daemons() {
  local log=$LOGS/run
  # shellcheck disable=SC2046
  "${as_samband[@]}" $(exec_start samband-broker.service) >"$log.broker.log" 2>&1 &
  pids+=($!); broker_pid=$!
  # Up to 30 s: on a loaded 2-core machine it once took over 10 s (2026-12-08).
  for _ in $(seq 300); do grep -q "listening on" "$log.broker.log" && break; sleep 0.1; done
  grep -q "listening on" "$log.broker.log" || { cat "$log.broker.log"; die "the broker did not start"; }
  # shellcheck disable=SC2046
  "${as_samband[@]}" $(exec_start samband-agent.service) >"$log.agent.log" 2>&1 &
  pids+=($!); agent_pid=$!
}
stop_daemons() {
  kill -TERM "$agent_pid" "$broker_pid"
  wait "$agent_pid" || die "samband-agent did not stop cleanly"
  wait "$broker_pid" || die "samband-broker did not stop cleanly"
  pids=()
}
report_arrives() {  # NOTE
  as_samband samband-agent report --config /etc/samband/agent.toml --unit 12345678 \
    --operational reduced --staff-available 9 --note "$1" >/dev/null
  for _ in $(seq 150); do
    if as_samband samband-broker status --config /etc/samband/broker.toml --json | grep -q "$1"; then
      return 0
    fi
    sleep 0.2
  done
  cat "$LOGS/run.agent.log"
  die "the report '$1' did not arrive at the broker within 30 s"
}

step "start both programs as samband with their ExecStart= lines; a report arrives"
start_daemons
report_arrives "paket-test $version"
as_samband samband-agent doctor --config /etc/samband/agent.toml || die "doctor found a problem"
stop_daemons

# --- upgrade ------------------------------------------------------------------------------------
keep=(/etc/samband/agent.toml /etc/samband/broker.toml /var/lib/samband/agent.identity
      /var/lib/samband/city.identity /var/lib/samband/city.pub)
sums() { for f in "${keep[@]}"; do in_root sha256sum "$f"; in_root stat -c '%n %U:%G %a' "$f"; done; }
before_upgrade=$(sums)
step "rebuild as $upgrade_version and upgrade"
DEB_VERSION=$upgrade_version LINTIAN=0 ./tools/deb.sh >/dev/null
install_debs "$upgrade_version"
[ "$(in_root dpkg-query -W -f='${Version}' samband-agent)" = "$upgrade_version" ] || die "not upgraded"
[ "$(sums)" = "$before_upgrade" ] || die "the upgrade changed config or keys: $(diff <(echo "$before_upgrade") <(sums))"
as_samband samband-broker status --config /etc/samband/broker.toml --json | grep -q "paket-test $version" \
  || die "the report stored before the upgrade is gone"
start_daemons
report_arrives "paket-test after upgrade"
stop_daemons

# --- remove, purge --------------------------------------------------------------------------------
step "remove: programs gone, config, keys and data kept"
in_root apt-get remove -y -q samband-agent samband-broker samband-tools >"$LOGS/remove.log" 2>&1 \
  || { cat "$LOGS/remove.log"; die "apt-get remove failed"; }
[ ! -e "$root/usr/bin/samband-broker" ] || die "remove left /usr/bin/samband-broker"
for f in "${keep[@]}" /var/lib/samband/samband.db /var/lib/samband/outbox.db; do
  [ -e "$root$f" ] || die "remove deleted $f (only purge may)"
done
echo "an administrator's backup" > "$root/var/lib/samband/backup-2027-01-01.db"
step "purge: what the packages made is gone, the administrator's file stays"
# dpkg, not apt: samband-tools has no files left to purge, so apt no longer knows it.
in_root dpkg --purge samband-agent samband-broker samband-tools >"$LOGS/purge.log" 2>&1 \
  || { cat "$LOGS/purge.log"; die "dpkg --purge failed"; }
for f in "${keep[@]}" /var/lib/samband/samband.db /var/lib/samband/outbox.db \
         /var/lib/samband/enroll-request.json /etc/samband /lib/systemd/system/samband-agent.service; do
  [ ! -e "$root$f" ] || die "purge left $f"
done
[ -f "$root/var/lib/samband/backup-2027-01-01.db" ] || die "purge deleted a file the packages did not make"

step "package test passed in $(( $(date +%s) - started )) s"
