#!/usr/bin/env bash
# Bounded fuzzing of every decoder of untrusted input (libFuzzer, clang, ASan+UBSan), one target
# per decoder (fuzz/targets.cmake). The total time is split evenly across the targets.
# Usage: tools/fuzz.sh [TOTAL_SECONDS] [TARGET...]
#   TOTAL_SECONDS  default 1800 (30 minutes); FUZZ_SECONDS works too
#   TARGET         only these targets (frame batch offline_file enroll_request roster_csv capacity_csv board_body report_json)
#   FUZZ_JOBS      parallel fuzzing processes per target (default 1: the machine may be shared)
# New interesting inputs land in build-fuzz/corpus/<target>/; a crash leaves its input in
# build-fuzz/fuzz-artifacts/ and stops the run. Copy an input worth keeping into
# fuzz/corpus/<target>/ (under 64 KiB): `make test` replays that folder (tests/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
total="${1:-${FUZZ_SECONDS:-1800}}"
shift || true
all=(frame batch offline_file enroll_request roster_csv capacity_csv board_body report_json)
[ "$#" -gt 0 ] && targets=("$@") || targets=("${all[@]}")
jobs="${FUZZ_JOBS:-1}"
build=build-fuzz
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "Installing clang and its libFuzzer runtime..."
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang libclang-rt-14-dev
fi
# The libraries are built with -fsanitize too (SAMBAND_SANITIZE), so the fuzzer sees every
# out-of-bounds access inside the decoders.
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMBAND_SANITIZE=ON -DSAMBAND_FUZZ=ON \
  -DSAMBAND_TESTS=OFF -DSAMBAND_BENCH=OFF >/dev/null
cmake --build "$build" -j "${FUZZ_BUILD_JOBS:-$(nproc)}" --target fuzz_seeds \
  $(printf '%s_fuzz ' "${targets[@]}")
mkdir -p "$build/fuzz-artifacts" "$build/seeds"
"$build/fuzz/fuzz_seeds" "$build/seeds"
per=$(( total / ${#targets[@]} ))
[ "$per" -ge 1 ] || per=1
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  mkdir -p "$work"
  seeds=(fuzz/corpus/"$t")
  [ -d "$build/seeds/$t" ] && seeds+=("$build/seeds/$t")
  echo "fuzz: $t for ${per}s (kept corpus: fuzz/corpus/$t, new finds: $work)"
  "$build/fuzz/${t}_fuzz" -max_total_time="$per" -max_len=70000 -rss_limit_mb=2048 \
    -timeout=10 -jobs="$jobs" -workers="$jobs" -print_final_stats=1 \
    -artifact_prefix="$build/fuzz-artifacts/${t}-" "$work" "${seeds[@]}"
done
echo "fuzz: no crash in ${total}s over ${targets[*]}"
