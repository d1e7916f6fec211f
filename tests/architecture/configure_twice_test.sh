#!/bin/sh
# A second configure of a fresh build tree must give every target the same compile flags as the
# first: otherwise whichever of `make demo` and `make test` runs second rebuilds the whole tree
# (libzmq.pc's Kerberos include once moved between includes and options on the second run).
# Usage: configure_twice_test.sh SOURCE_DIR
set -eu
src=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
flags() { find "$dir" -name flags.make | sort | xargs cat; }
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSAMBAND_BENCH=OFF >/dev/null
flags >"$dir.first"
cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DSAMBAND_BENCH=OFF >/dev/null
flags >"$dir.second"
if ! diff "$dir.first" "$dir.second"; then
  echo "configure_twice: the second configure changed compile flags (above); every target would"
  echo "rebuild. Find the target property that differs between the runs and make it stable."
  rm -f "$dir.first" "$dir.second"
  exit 1
fi
rm -f "$dir.first" "$dir.second"
echo "configure_twice: both configures give identical flags"
