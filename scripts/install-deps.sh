#!/usr/bin/env bash
# Installs the Debian 12 packages vknn needs to build, test and run, if any is missing.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libvulkan-dev vulkan-tools mesa-vulkan-drivers vulkan-validationlayers
  glslc glslang-tools spirv-tools
  libfmt-dev doctest-dev nlohmann-json3-dev libcli11-dev
  libjpeg62-turbo-dev libpng-dev zlib1g-dev
  dataset-fashion-mnist
  libonnx-dev libprotobuf-dev
  # SHA-256 of an ONNX file, the model named in a training checkpoint
  libssl-dev
  # data-parallel training (dist/) and its tests under mpirun
  libopenmpi-dev openmpi-bin
  # the multi-host test: two network namespaces joined by a veth pair (ip netns)
  iproute2
  # ONNX tests: models written at test time by PyTorch, and ONNX's own node tests
  python3-torch python3-torchvision python3-onnx python3-numpy python3-pil libonnx-testdata
  # scripts/test-fuzz.sh: the libFuzzer targets are built with Clang 14 and its sanitizer runtimes
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
