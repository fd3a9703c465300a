#!/bin/sh
# Exact resume of `vknn train --precision fp16` (lenet on a few hundred images of the fixture
# data). The loss scale starts near the float limit and doubles after every good step, so it
# overflows: the uninterrupted run skips steps 31, 33 and 39. A run stopped at step 34 (two
# skipped steps behind it, the scale at its top) and resumed with the flags left out must end
# with the same weights, bit for bit, and skip step 39 again: the commit holds the scale, the
# good steps since it changed and the skipped steps (which the executor's step count leaves
# out). A checkpoint without a loss scale (an fp32 run) resumes in fp16 from --loss-scale,
# and says so.
#   usage: train_resume_fp16.sh VKNN DATA_DIR WORK_DIR SAME_WEIGHTS_PY
set -u
vknn=$1 data=$2 dir=$3 same="/usr/bin/python3 $4"
base="--model lenet --data $data --batch 32 --limit 192 --val-limit 64 --lr 0.05 --seed 7 --log-every 100"
common="$base --epochs 8 --precision fp16 --loss-scale 1e30 --loss-scale-interval 1"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1

"$vknn" train $common --out "$dir/ref" 2>"$dir/ref.log" || { cat "$dir/ref.log"; fail "reference run"; }
skips() { grep -o '^step [0-9]*: the gradients overflowed' "$1" | cut -d' ' -f2 | tr -d : | tr '\n' ' '; }
[ "$(skips "$dir/ref.log")" = "31 33 39 " ] || { cat "$dir/ref.log"; fail "the reference run skipped $(skips "$dir/ref.log")"; }

"$vknn" train $common --max-steps 34 --out "$dir/cut" 2>"$dir/cut.log" || { cat "$dir/cut.log"; fail "run to step 34"; }
grep -q '"skipped_steps": 2' "$dir/cut/state.json" || { cat "$dir/cut/state.json"; fail "state.json: skipped steps"; }
grep -q '"scale": 2.684354' "$dir/cut/state.json" || { cat "$dir/cut/state.json"; fail "state.json: loss scale"; }
"$vknn" train --resume --out "$dir/cut" 2>"$dir/cut2.log" || { cat "$dir/cut2.log"; fail "resume"; }
grep -q 'resuming .* (step 34' "$dir/cut2.log" || { cat "$dir/cut2.log"; fail "not resumed at step 34"; }
grep -q 'loss scale starts' "$dir/cut2.log" && { cat "$dir/cut2.log"; fail "the saved scale was not used"; }
[ "$(skips "$dir/cut2.log")" = "39 " ] || { cat "$dir/cut2.log"; fail "the resumed run skipped $(skips "$dir/cut2.log")"; }
grep -q '(3 skipped so far)' "$dir/cut2.log" || { cat "$dir/cut2.log"; fail "skipped count"; }
$same "$dir/ref/checkpoint.safetensors" "$dir/cut/checkpoint.safetensors" || fail "fp16 max-steps + resume"

# The good steps since the last change: 5, then 3 more after resuming (not 3).
"$vknn" train $base --epochs 2 --precision fp16 --max-steps 5 --out "$dir/good" 2>/dev/null || fail "run to step 5"
grep -q '"good_steps": 5' "$dir/good/state.json" || { cat "$dir/good/state.json"; fail "good steps at 5"; }
"$vknn" train --resume --max-steps 8 --out "$dir/good" 2>/dev/null || fail "resume to step 8"
grep -q '"good_steps": 8' "$dir/good/state.json" || { cat "$dir/good/state.json"; fail "good steps at 8"; }

# An fp32 checkpoint holds no loss scale: fp16 resumes from --loss-scale and says so.
"$vknn" train $base --epochs 2 --max-steps 3 --out "$dir/fp32" 2>/dev/null || fail "fp32 run to step 3"
grep -q '"loss_scale": {' "$dir/fp32/state.json" && fail "an fp32 run saved a loss scale"
"$vknn" train --resume --precision fp16 --override --max-steps 5 --out "$dir/fp32" 2>"$dir/fp32.log" \
  || { cat "$dir/fp32.log"; fail "fp16 resume of an fp32 run"; }
grep -q 'holds no loss scale (saved by an fp32 run or an older vknn): the scale starts from --loss-scale 65536' \
  "$dir/fp32.log" || { cat "$dir/fp32.log"; fail "message"; }
grep -q '"good_steps": 2' "$dir/fp32/state.json" || { cat "$dir/fp32/state.json"; fail "good steps after fp32 resume"; }
echo "fp16 exact resume: all cases passed"
