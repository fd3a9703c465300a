#!/bin/sh
# Ctrl-C during `vknn train` (lenet, 20 steps an epoch): the run stops at the next step
# boundary, commits, writes steps.csv (a row for each step done), metrics.csv (the finished
# epochs) and curves.svg (drawn to the last step), says so and exits 130. --resume continues
# mid-epoch, and steps.csv goes on with no row missing or doubled.
#   usage: train_sigint.sh VKNN DATA_DIR WORK_DIR
set -u
vknn=$1 data=$2 dir=$3
log="$dir.log"
fail() { echo "FAIL: $*"; cat "$log"; exit 1; }
rm -rf "$dir" "$log"
"$vknn" train --model lenet --data "$data" --epochs 1000 --batch 32 --limit 640 --val-limit 64 --out "$dir" \
  --log-every 1 2>"$log" &
pid=$!
# Interrupt in epoch 2, after the first epoch's row and a few steps.
i=0
while ! grep -q '^epoch 2/1000 step 3/' "$log" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] || fail "exit status $rc, not 130"
grep -q 'interrupted at epoch 2 batch .*steps.csv, metrics.csv and curves.svg' "$log" || fail "no message"
step=$(sed -n 's/.*"step": \([0-9]*\),.*/\1/p' "$dir/state.json" | head -1)
[ -n "$step" ] && [ "$step" -gt 20 ] && [ "$step" -lt 40 ] || fail "state.json: step '$step' is not in epoch 2"
[ "$(wc -l <"$dir/steps.csv")" -eq $((step + 1)) ] || fail "steps.csv has $(wc -l <"$dir/steps.csv") lines at step $step"
tail -1 "$dir/steps.csv" | grep -q "^$step,2," || fail "the last row of steps.csv is not step $step of epoch 2"
[ "$(wc -l <"$dir/metrics.csv")" -eq 2 ] && grep -q '^1,20,' "$dir/metrics.csv" || fail "metrics.csv: $(cat "$dir/metrics.csv")"
# The loss-per-step line of curves.svg (its first polyline) has a point for every step.
points=$(grep -m1 '<polyline' "$dir/curves.svg" | sed "s/.*points='\([^']*\)'.*/\1/" | wc -w)
[ "$points" -eq "$step" ] || fail "curves.svg draws $points steps, not $step"

"$vknn" train --resume --out "$dir" --max-steps $((step + 5)) 2>>"$log" || fail "resume"
grep -q "resuming .* at epoch 2 batch $((step - 20)) (step $step" "$log" || fail "not resumed mid-epoch"
[ "$(wc -l <"$dir/steps.csv")" -eq $((step + 6)) ] || fail "steps.csv has $(wc -l <"$dir/steps.csv") lines at step $((step + 5))"
awk -F, 'NR > 1 && $1 != NR - 1 { exit 1 }' "$dir/steps.csv" || fail "steps.csv: a step missing or doubled"
grep -q "class='resume'" "$dir/curves.svg" || fail "curves.svg does not mark the resume point"
echo "SIGINT: committed at step $step with steps.csv, metrics.csv and curves.svg; resumed to step $((step + 5))"
