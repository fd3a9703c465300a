#!/bin/sh
# The progress display of `vknn train` (lenet, 10 steps an epoch, 2 epochs).
#  - stderr not a terminal: plain lines (no carriage return), one every --log-every steps and
#    at each epoch's end, none with a rate of 0 images/s (the first line of the second epoch
#    once showed one); the device named, the start-up phases summed up.
#  - on a terminal (a pseudo-terminal of `script`, 80 and 40 columns): a bar redrawn in place, with
#    %, images/s, loss, lr and ETA, no drawn line wider than the terminal (at 40, no bar),
#    and progress during start-up and validation.
#   usage: train_progress.sh VKNN DATA_DIR WORK_DIR     (exit 77: skipped, no `script`)
set -u
vknn=$1 data=$2 dir=$3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
args="--model lenet --data $data --epochs 2 --batch 32 --limit 320 --val-limit 64"

"$vknn" train $args --log-every 3 --out "$dir/plain" 2>"$dir/plain.log" || { cat "$dir/plain.log"; fail "plain run"; }
cat "$dir/plain.log"
tr -d '\n' <"$dir/plain.log" | grep -q "$(printf '\r')" && fail "a carriage return in plain output"
# Steps 3, 6, 9, 10 of each epoch.
[ "$(grep -c '^epoch [12]/2 step .* img/s loss .* lr .* ETA' "$dir/plain.log")" -eq 8 ] || fail "not 8 step lines"
grep -q ' 0\.0 img/s' "$dir/plain.log" && fail "a rate of 0 images/s"
grep -q '^device: ' "$dir/plain.log" || fail "no device line"
grep -q '^start-up: .* s (opening the data' "$dir/plain.log" || fail "no start-up line"

command -v script >/dev/null || { echo "skipped: no script(1) for a pseudo-terminal"; exit 77; }
# A terminal of `cols` columns: its output split at every CR and LF (the pseudo-terminal ends
# lines with CR LF; a line redrawn in place starts with a CR) into $dir/tty-$cols.lines.
on_terminal() {
  cols=$1
  script -qec "stty cols $cols && '$vknn' train $args --out '$dir/tty-$cols'" /dev/null >"$dir/tty-$cols.log" </dev/null \
    || { cat "$dir/tty-$cols.log"; fail "run on a terminal of $cols columns"; }
  tr '\r' '\n' <"$dir/tty-$cols.log" | grep -v '^ *$' >"$dir/tty-$cols.lines"
  cat "$dir/tty-$cols.lines"
  awk -v w=$cols 'length($0) > w - 1 && !/^(defaults|data|device|warning|start-up: [0-9]|epoch [0-9]+ done|trained)/ { exit 1 }' \
    "$dir/tty-$cols.lines" || fail "a line drawn in place is wider than the $cols columns"
}
on_terminal 80
lines="$dir/tty-80.lines"
grep -Eq '^epoch 2/2 \[=*>? *\] +[0-9]+% [0-9]+/10 [0-9]+ img/s loss [0-9.]+ lr [0-9.e-]+ ETA [0-9]+s' "$lines" \
  || fail "no bar with %, images/s, loss, lr and ETA"
grep -Eq '^epoch 1/2 \[=+\] 100% 10/10 ' "$lines" || fail "epoch 1 does not end full"
grep -q ' 0 img/s' "$lines" && fail "a rate of 0 images/s"
grep -Eq '^validating \[=+\] 100% 64/64 images' "$lines" || fail "no validation progress"
grep -q '^start-up: compiling the pipelines\.\.\.' "$lines" || fail "no start-up progress"
# Too narrow for a bar: the text alone, cut at the edge.
on_terminal 40
grep -q '^epoch 2/2 100% 10/10' "$dir/tty-40.lines" || fail "40 columns: no progress line"
echo "progress: plain and terminal output as expected"
