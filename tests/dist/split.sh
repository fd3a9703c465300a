#!/bin/sh
# Data parallel combined with the two-column split: each of 2 ranks is itself a two-target
# AlexNet (the 2012 paper's columns at 1/8 width, 67x67 inputs; dropout on), at batch 4,
# equals 1 process with both columns on one target at batch 8: the loss, every gradient after
# the all-reduce, and the weights after 3 SGD steps within 1e-5 relative to each tensor's
# largest magnitude. Two VkDevices per rank (two contexts on the one device), buckets of 64 KB
# (each waits for its last writer on both targets); then two queues of one device, one bucket.
set -u
bin=$1 mpirun=$2 dir=$3
mkdir -p "$dir"
run2() { "$mpirun" --oversubscribe --allow-run-as-root -np 2 "$bin" run --model alexnet --batch 8 --steps 3 "$@"; }
"$bin" run --model alexnet --split none --batch 8 --steps 3 --bucket-bytes 0 --out "$dir/one.safetensors"
rc=$?
[ $rc -eq 0 ] || exit $rc
fail=0
for split in two-devices; do
  bucket=65536
  echo "== 2 ranks, each --split $split, buckets of $bucket bytes"
  rm -f "$dir/$split.safetensors"
  run2 --split $split --bucket-bytes $bucket --out "$dir/$split.safetensors" || { echo "FAILED: mpirun exited $?"; exit 1; }
  "$bin" compare "$dir/one.safetensors" "$dir/$split.safetensors" --rel 1e-5 || fail=1
done
exit $fail
