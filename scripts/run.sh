#!/usr/bin/env bash
# The main job: install what is missing, build, list the Vulkan devices and run the
# compute benchmark on the default device (a GPU if there is one, else lavapipe).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/tools/vknn devices
build/tools/vknn bench matmul --size 1024 --iters 5 --warmup 1
