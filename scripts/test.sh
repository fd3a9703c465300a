#!/usr/bin/env bash
# The whole test suite: install what is missing, build, and run every test under CTest
# (GPU suites with the Khronos validation layer, synchronization validation included).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest -j "$(nproc)" --output-on-failure --timeout 1500
