#!/usr/bin/env bash
# Lays the shared ImageNet sample photos (one per class, files named <wnid>_<name>.JPEG)
# out as image folders that `vknn train` reads: OUT/train/<wnid>/ and OUT/val/<wnid>/, as
# symbolic links. Train and val hold the same photos: this is for smoke runs that prove the
# full-size network trains end to end, not for measuring accuracy.
set -euo pipefail
src=${1:?usage: $0 SAMPLE_DIR OUT_DIR}
out=${2:?usage: $0 SAMPLE_DIR OUT_DIR}
src=$(cd "$src" && pwd)
for split in train val; do
  for f in "$src"/*.JPEG; do
    base=$(basename "$f")
    wnid=${base%%_*}
    mkdir -p "$out/$split/$wnid"
    ln -sf "$f" "$out/$split/$wnid/$base"
  done
done
echo "$(ls "$out/train" | wc -l) classes in $out/{train,val}"
