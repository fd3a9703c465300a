#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (GCC) into
# build-asan/. Any report stops the process that made it (-fno-sanitize-recover=all), so the
# suite passes only with zero reports. Leaks are checked too; scripts/lsan.supp suppresses
# leaks inside the Vulkan loader, the validation layer, Mesa and LLVM only, never vknn's.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKNN_WERROR=ON \
  -DVKNN_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$(nproc)"
root=$(pwd)
# detect_odr_violation=0: the Vulkan loader and the ICD each carry a copy of some symbols.
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:detect_odr_violation=0"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-asan
ctest -j "$(nproc)" --output-on-failure --timeout 3000 "$@"
