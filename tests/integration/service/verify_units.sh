#!/usr/bin/env bash
# systemd-analyze verify on every unit file in UNITS_DIR. The units name /usr/bin/samband-*,
# which a build tree has not installed, so each is verified as a copy naming the built
# programs in BIN_DIR instead (verify checks that ExecStart= is executable). Exit 77: no
# systemd-analyze here.
set -euo pipefail
units=$1
bin=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for f in "$units"/*.service "$units"/*.timer; do
  sed "s|/usr/bin/samband-|$bin/samband-|g" "$f" > "$tmp/$(basename "$f")"
  n=$((n + 1))
done
[ "$n" -ge 4 ] || { echo "expected 4 unit files in $units, found $n" >&2; exit 1; }
# verify prints problems and exits non-zero on errors; warnings fail this test too.
out=$(systemd-analyze verify "$tmp"/* 2>&1) || { echo "$out"; exit 1; }
if [ -n "$out" ]; then echo "$out"; exit 1; fi
echo "$n unit files verified"
