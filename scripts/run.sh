#!/usr/bin/env bash
# The main job: install what is missing, build, list the Vulkan devices, benchmark AlexNet
# inference at batch 1 on the default device (a GPU if there is one, else lavapipe), then
# its two columns split across two VkDevices / two queues / one target, classify a frame
# rendered by a host application that lends vknn its device (examples/offscreen_classify),
# and run a short training run of a LeNet-style net on Fashion-MNIST (Debian's
# dataset-fashion-mnist), validating on the test set.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/tools/vknn devices
build/tools/vknn bench --model alexnet --batch 1 --iters 5 --warmup 1
build/tools/vknn bench --model alexnet --split all --batch 1 --iters 5 --warmup 1
build/examples/offscreen_classify/offscreen_classify
out=$(mktemp -d)
build/tools/vknn train --model lenet --data /usr/share/datasets/fashion-mnist --epochs 1 --max-steps 300 \
  --batch 64 --lr 0.05 --rule pytorch --out "$out"
echo "training run written to $out (metrics.csv, curves.svg, checkpoint.safetensors)"
