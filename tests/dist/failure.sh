#!/bin/sh
# One of two ranks dies (SIGKILL) or stalls (SIGSTOP) in the middle of step 1. The job must
# end non-zero within 60 s with a message naming rank 1.
set -u
bin=$1 mpirun=$2 dir=$3
mkdir -p "$dir"
fail=0
for how in kill stop; do
  log="$dir/$how.log"
  start=$(date +%s)
  timeout -s KILL 120 "$mpirun" --oversubscribe --allow-run-as-root -np 2 "$bin" run --batch 8 --steps 3 \
    --bucket-bytes 1024 --timeout-ms 5000 --fail-rank 1 --fail-step 1 --fail $how >"$log" 2>&1
  rc=$?
  elapsed=$(( $(date +%s) - start ))
  echo "== rank 1 $how: exit $rc after ${elapsed} s"
  cat "$log"
  if grep -q "no Vulkan device" "$log"; then exit 77; fi
  if [ $rc -eq 0 ]; then echo "FAILED: the job exited 0"; fail=1; fi
  if [ $elapsed -gt 60 ]; then echo "FAILED: took ${elapsed} s"; fail=1; fi
  if ! grep -q "rank 1" "$log"; then echo "FAILED: no message names rank 1"; fail=1; fi
done
exit $fail
