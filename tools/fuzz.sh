#!/usr/bin/env bash
# Bounded fuzzing of the decoders that read untrusted bytes (libFuzzer, clang, ASan+UBSan).
# Usage: tools/fuzz.sh [SECONDS]   (default 120; FUZZ_SECONDS works too)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-${FUZZ_SECONDS:-120}}"
build=build-fuzz
if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "Installing clang and its libFuzzer runtime..."
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang libclang-rt-14-dev
fi
# The common library is built with -fsanitize too (SAMBAND_SANITIZE), so the fuzzer sees
# every out-of-bounds access inside the decoders.
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSAMBAND_SANITIZE=ON -DSAMBAND_FUZZ=ON \
  -DSAMBAND_TESTS=OFF -DSAMBAND_BENCH=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target decode_fuzz fuzz_seeds
corpus="$build/fuzz-corpus"
mkdir -p "$corpus" "$build/fuzz-artifacts"
"$build/fuzz/fuzz_seeds" "$corpus"
echo "Fuzzing the decoders for ${seconds}s (corpus: $corpus)"
"$build/fuzz/decode_fuzz" -max_total_time="$seconds" -max_len=70000 -rss_limit_mb=2048 \
  -artifact_prefix="$build/fuzz-artifacts/" "$corpus"
echo "fuzz: no crash in ${seconds}s"
