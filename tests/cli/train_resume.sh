#!/bin/sh
# Exact resume of `vknn train` (lenet on a few hundred images of the fixture data):
#  - a run stopped by --max-steps mid-epoch and resumed with every flag left out ends with the
#    weights of the uninterrupted run, bit for bit;
#  - so does a run killed at each commit point (VKNN_TRAIN_FAULT=K:before|after makes the
#    process _exit at its K-th commit, before or after the rename) and then resumed; the
#    temporary file of the killed commit is removed;
#  - --resume with a flag that differs is refused with the list of differences, and accepted
#    with --override; a folder holding a run is refused without --resume unless --force.
#   usage: train_resume.sh VKNN DATA_DIR WORK_DIR SAME_WEIGHTS_PY
set -u
vknn=$1 data=$2 dir=$3 same="/usr/bin/python3 $4"
common="--model lenet --data $data --epochs 2 --batch 32 --limit 192 --val-limit 64 --lr 0.05 --seed 7 --log-every 100"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1

"$vknn" train $common --out "$dir/ref" 2>"$dir/ref.log" || { cat "$dir/ref.log"; fail "reference run"; }

# --max-steps mid-epoch (6 steps per epoch), then resumed with the flags left out.
"$vknn" train $common --max-steps 9 --out "$dir/cut" 2>/dev/null || fail "run to step 9"
grep -q '"batch_in_epoch": 3' "$dir/cut/state.json" || fail "state.json is not at batch 3 of epoch 2"
"$vknn" train --resume --out "$dir/cut" 2>"$dir/cut.log" || { cat "$dir/cut.log"; fail "resume"; }
grep -q 'resuming .* at epoch 2 batch 3 (step 9' "$dir/cut.log" || { cat "$dir/cut.log"; fail "not resumed mid-epoch"; }
$same "$dir/ref/checkpoint.safetensors" "$dir/cut/checkpoint.safetensors" || fail "max-steps + resume"

# Kills at every commit: 1 the fresh run's, 2 and 3 the epochs' ends; with --max-steps 9,
# commit 3 is the stop at step 9 and 4 the end of epoch 2 after resuming.
for stop in 0 9; do
  ks="1 2 3"
  [ $stop -eq 9 ] && ks=3  # commits 1 and 2 are those of the run without --max-steps
  for k in $ks; do
    for where in before after; do
      run="$dir/kill-$stop-$k-$where"
      VKNN_TRAIN_FAULT=$k:$where "$vknn" train $common --max-steps $stop --out "$run" 2>/dev/null
      rc=$?
      [ $rc -eq 86 ] || fail "VKNN_TRAIN_FAULT=$k:$where (max-steps $stop) exited $rc, not 86"
      if [ $k -eq 1 ] && [ $where = before ]; then
        # Killed before the first commit: no run to resume, nothing to lose; a new run starts
        # there and removes the temporary file.
        "$vknn" train --resume --out "$run" 2>"$run.log" && fail "resumed a run that never committed"
        grep -q 'nothing to resume' "$run.log" || { cat "$run.log"; fail "message"; }
        "$vknn" train $common --out "$run" 2>"$run.log" || { cat "$run.log"; fail "new run after a kill before the first commit"; }
        grep -q 'removed 1 temporary file' "$run.log" || { cat "$run.log"; fail "temporary file"; }
      else
        "$vknn" train --resume --out "$run" 2>"$run.log" || { cat "$run.log"; fail "resume after $k:$where"; }
        [ $where = after ] || grep -q 'removed 1 temporary file' "$run.log" || { cat "$run.log"; fail "temporary file"; }
      fi
      ls "$run" | grep -q '\.tmp\.' && fail "temporary files left in $run"
      $same "$dir/ref/checkpoint.safetensors" "$run/checkpoint.safetensors" || fail "kill at $k:$where, max-steps $stop"
    done
  done
done

# Flags that disagree with the saved run.
"$vknn" train $common --max-steps 3 --out "$dir/flags" 2>/dev/null || fail "run to step 3"
out=$("$vknn" train --resume --out "$dir/flags" --lr 0.1 --batch 16 --seed 7 2>&1) && fail "a different --lr was accepted"
echo "$out"
echo "$out" | grep -q -- '--batch 16 (the run has 32)' || fail "--batch not listed"
echo "$out" | grep -q -- '--lr 0.1 (the run has 0.05)' || fail "--lr not listed"
echo "$out" | grep -q -- '--seed' && fail "an equal --seed is listed"
"$vknn" train --resume --out "$dir/flags" --lr 0.1 --override --max-steps 4 2>&1 | grep -q 'override: --lr 0.1' \
  || fail "--override"
out=$("$vknn" train $common --out "$dir/flags" 2>&1) && fail "an existing run was overwritten"
echo "$out" | grep -q 'holds a run already' || fail "existing-run message"
"$vknn" train $common --max-steps 1 --force --out "$dir/flags" 2>/dev/null || fail "--force"
echo "exact resume: all cases passed"
