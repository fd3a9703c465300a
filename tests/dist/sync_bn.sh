#!/bin/sh
# --sync-bn: a small CIFAR ResNet (ResNet-8, 7 batch norms) trained 3 SGD steps by 2 ranks at
# batch 4 each, with batch statistics over both ranks, equals 1 process at batch 8: losses,
# gradients (after the all-reduce), weights and running statistics within 1e-5 relative to
# each tensor's largest magnitude. Without --sync-bn each rank normalizes by its own
# statistics (PyTorch DDP's default), which is a different computation: that run must differ
# from the single process by more than 1e-3, or the comparison above proves nothing.
set -u
bin=$1 mpirun=$2 dir=$3
mkdir -p "$dir"
run2() { "$mpirun" --oversubscribe --allow-run-as-root -np 2 "$bin" run --model cifar --batch 8 --steps 3 "$@"; }
"$bin" run --model cifar --sync-bn 1 --batch 8 --steps 3 --bucket-bytes 0 --out "$dir/one.safetensors"
rc=$?
[ $rc -eq 0 ] || exit $rc
fail=0
echo "== 2 ranks, --sync-bn, buckets of 1 KB"
rm -f "$dir/two.safetensors" "$dir/two-own.safetensors"
run2 --sync-bn 1 --bucket-bytes 1024 --out "$dir/two.safetensors" || { echo "FAILED: mpirun exited $?"; exit 1; }
"$bin" compare "$dir/one.safetensors" "$dir/two.safetensors" --rel 1e-5 || fail=1
echo "== 2 ranks, each with its own batch statistics (no --sync-bn): must differ"
run2 --bucket-bytes 0 --out "$dir/two-own.safetensors" || { echo "FAILED: mpirun exited $?"; exit 1; }
if "$bin" compare "$dir/one.safetensors" "$dir/two-own.safetensors" --rel 1e-3; then
  echo "FAILED: per-rank statistics gave the single process's result"
  fail=1
fi
exit $fail
