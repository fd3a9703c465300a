#!/bin/sh
# Exact resume of `vknn train` (lenet on a few hundred images of the fixture data):
#  - a run stopped by --max-steps mid-epoch and resumed with every flag left out ends with the
#    weights of the uninterrupted run, bit for bit;
#  - so does a run killed at each commit point (VKNN_TRAIN_FAULT=K:before|after makes the
#    process _exit at its K-th commit, before or after the rename) and then resumed; the
#    temporary file of the killed commit is removed;
#  - steps.csv of every resumed run has the rows of the uninterrupted run, one per step, none
#    missing or doubled (images/s aside), and curves.svg marks the resume points;
#  - --resume with a flag that differs is refused with the list of differences, and accepted
#    with --override; a folder holding a run is refused without --resume unless --force.
#   usage: train_resume.sh VKNN DATA_DIR WORK_DIR SAME_WEIGHTS_PY
set -u
vknn=$1 data=$2 dir=$3 same="/usr/bin/python3 $4"
common="--model lenet --data $data --epochs 2 --batch 32 --limit 192 --val-limit 64 --lr 0.05 --seed 7 --log-every 100"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
# steps.csv without its images/s column: equal steps give equal rows.
same_steps() {
  cut -d, -f1-6 "$dir/ref/steps.csv" >"$dir/ref.steps" && cut -d, -f1-6 "$1/steps.csv" >"$1.steps" || return 1
  cmp -s "$dir/ref.steps" "$1.steps" || { diff "$dir/ref.steps" "$1.steps" | head; return 1; }
}

"$vknn" train $common --out "$dir/ref" 2>"$dir/ref.log" || { cat "$dir/ref.log"; fail "reference run"; }
# One row per step 1..12 (2 epochs of 6), in order.
[ "$(wc -l <"$dir/ref/steps.csv")" -eq 13 ] || fail "ref/steps.csv has $(wc -l <"$dir/ref/steps.csv") lines, not 13"
awk -F, 'NR == 1 { next } $1 != NR - 1 || $2 != int((NR - 2) / 6) + 1 || $3 != (NR - 2) % 6 + 1 { exit 1 }' \
  "$dir/ref/steps.csv" || fail "ref/steps.csv: steps, epochs or batches out of order"
grep -q "class='resume'" "$dir/ref/curves.svg" && fail "a run never resumed has a resume mark"

# --max-steps mid-epoch (6 steps per epoch), then resumed with the flags left out.
"$vknn" train $common --max-steps 9 --out "$dir/cut" 2>/dev/null || fail "run to step 9"
grep -q '"batch_in_epoch": 3' "$dir/cut/state.json" || fail "state.json is not at batch 3 of epoch 2"
printf '10,2,4,2.2' >>"$dir/cut/steps.csv"  # a row torn by a kill in the middle of its append
"$vknn" train --resume --out "$dir/cut" 2>"$dir/cut.log" || { cat "$dir/cut.log"; fail "resume"; }
grep -q 'resuming .* at epoch 2 batch 3 (step 9' "$dir/cut.log" || { cat "$dir/cut.log"; fail "not resumed mid-epoch"; }
grep -q 'steps.csv: cut back to step 9 (1 later row' "$dir/cut.log" || { cat "$dir/cut.log"; fail "torn row kept"; }
$same "$dir/ref/checkpoint.safetensors" "$dir/cut/checkpoint.safetensors" || fail "max-steps + resume"
same_steps "$dir/cut" || fail "steps.csv after max-steps + resume"
grep -q "class='resume'" "$dir/cut/curves.svg" || fail "curves.svg does not mark the resume point"

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
        # Killed before the rename: steps.csv (synced first) holds the rows of the lost commit's steps.
        [ $where = after ] || grep -q 'steps.csv: cut back to step' "$run.log" || { cat "$run.log"; fail "steps.csv not cut back"; }
      fi
      ls "$run" | grep -q '\.tmp\.' && fail "temporary files left in $run"
      $same "$dir/ref/checkpoint.safetensors" "$run/checkpoint.safetensors" || fail "kill at $k:$where, max-steps $stop"
      same_steps "$run" || fail "steps.csv after a kill at $k:$where, max-steps $stop"
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
