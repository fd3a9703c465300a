#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with Clang 14 (every library instrumented with
# AddressSanitizer and UndefinedBehaviorSanitizer) into build-fuzz/, replays each target's
# regression inputs, then fuzzes each from its seeds for VKNN_FUZZ_SECONDS (default 20)
# seconds. Any crash, leak, sanitizer report, timeout or out-of-memory fails the script; the
# input that caused it is left in build-fuzz/findings/<target>/ (see docs/fuzzing.md).
# The mutations start from VKNN_FUZZ_SEED (default 1), so a CI run explores the same inputs
# each time (as far as its machine gets in the time); 0 draws a random seed, as longer
# exploratory runs should.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${VKNN_FUZZ_SECONDS:-20}
seed=${VKNN_FUZZ_SEED:-1}
targets=(safetensors idx cifar npy jpeg png pipeline_cache tune_cache onnx)
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKNN_WERROR=ON \
  -DVKNN_FUZZ=ON -DVKNN_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
root=$(pwd)
export ASAN_OPTIONS="detect_leaks=1:detect_odr_violation=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
shopt -s nullglob
for t in "${targets[@]}"; do
  exe="$root/build-fuzz/fuzz/fuzz_$t"
  regressions=("$root/fuzz/$t/regressions"/*)
  if [ ${#regressions[@]} -gt 0 ]; then
    echo "== fuzz_$t: replaying ${#regressions[@]} regression inputs"
    "$exe" -rss_limit_mb=2048 -timeout=30 "${regressions[@]}"
  fi
  # A scratch corpus: the committed seeds stay as they are, new inputs go here.
  corpus="$root/build-fuzz/corpus/$t" findings="$root/build-fuzz/findings/$t"
  rm -rf "$corpus" "$findings"
  mkdir -p "$corpus" "$findings"
  echo "== fuzz_$t: ${seconds} s from $(ls "$root/fuzz/$t/seeds" | wc -l) seeds"
  (cd "$findings" && "$exe" -max_total_time="$seconds" -seed="$seed" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
    "$corpus" "$root/fuzz/$t/seeds")
done
echo "fuzz smoke runs: ${#targets[@]} targets, ${seconds} s each, no finding"
