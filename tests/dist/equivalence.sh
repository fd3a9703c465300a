#!/bin/sh
# 1 rank at global batch 8 (no mpirun: the single-process path) against 2 ranks at 4 each
# under mpirun, for bucket sizes 1 KB, 1 MB and one bucket: 3 SGD steps give the same loss,
# gradients and weights within 1e-5 (relative to each tensor's largest magnitude; the
# slices round differently from the whole batch). Between bucket sizes the results must be
# identical: a sum of two ranks is the same whatever the grouping, and whether the copies go
# through mapped memory or staging buffers.
set -u
bin=$1 mpirun=$2 dir=$3
mkdir -p "$dir"
"$bin" run --batch 8 --steps 3 --bucket-bytes 0 --out "$dir/one.safetensors"
rc=$?
[ $rc -eq 0 ] || exit $rc
fail=0
for bytes in 1024 1048576 0; do
  echo "== 2 ranks, buckets of $bytes bytes (0: one bucket)"
  rm -f "$dir/two-$bytes.safetensors"
  "$mpirun" --oversubscribe --allow-run-as-root -np 2 "$bin" run --batch 8 --steps 3 --bucket-bytes $bytes \
    --out "$dir/two-$bytes.safetensors" || { echo "FAILED: mpirun exited $?"; fail=1; continue; }
  "$bin" compare "$dir/one.safetensors" "$dir/two-$bytes.safetensors" --rel 1e-5 || fail=1
  if [ $bytes != 1024 ]; then
    "$bin" compare "$dir/two-1024.safetensors" "$dir/two-$bytes.safetensors" --rel 0 || fail=1
  fi
done
echo "== 2 ranks, buckets of 1 KB, through staging buffers (the path of a GPU whose memory is not mapped)"
"$mpirun" --oversubscribe --allow-run-as-root -np 2 "$bin" run --batch 8 --steps 3 --bucket-bytes 1024 --force-staging 1 \
  --out "$dir/two-staging.safetensors" || { echo "FAILED: mpirun exited $?"; fail=1; }
"$bin" compare "$dir/two-1024.safetensors" "$dir/two-staging.safetensors" --rel 0 || fail=1
exit $fail
