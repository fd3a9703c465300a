#!/bin/sh
# `vknn train` under mpirun with 2 ranks sharing the one device, on a few hundred images of
# the fixture data (6 global batches of 32 per epoch; 8 steps cross an epoch's end with its
# validation and commit):
#  - 2 ranks at 16 each end with the weights and momentum of 1 rank at 32 within 1e-5
#    (relative to each tensor's largest magnitude: the slices round differently), and at the
#    same step, epoch and position in it;
#  - two 2-rank runs end bit-identical;
#  - a 2-rank checkpoint resumes on 1 rank and a 1-rank checkpoint on 2 ranks, ending as the
#    uninterrupted run (within 1e-5); a 2-rank run cut and resumed on 2 ranks is bit-identical;
#  - a global batch that does not split into the ranks is refused, naming --batch;
#  - a rank given a data path that does not exist ends the job non-zero, naming that rank;
#  - a rank stopped mid-run is named by the other within --dist-timeout.
#   usage: train_mpi.sh VKNN MPIRUN DATA_DIR WORK_DIR SAME_WEIGHTS_PY COMPARE
set -u
vknn=$1 mpirun=$2 data=$3 dir=$4 same="/usr/bin/python3 $5" compare=$6
mpi="$mpirun --oversubscribe --allow-run-as-root"
common="--model lenet --data $data --epochs 2 --batch 32 --limit 192 --val-limit 64 --lr 0.05 --seed 7 --log-every 100"
fail() { echo "FAIL: $*"; exit 1; }
close() { "$compare" compare "$1/checkpoint.safetensors" "$2/checkpoint.safetensors" --rel 1e-5 || fail "$3"; }
position() { grep -E '"(epoch|batch_in_epoch|step)":' "$1/state.json" | head -3 | tr -d ' \n'; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1

"$vknn" train $common --max-steps 8 --out "$dir/one" 2>"$dir/one.log" || { cat "$dir/one.log"; fail "1 rank"; }
grep -q "no Vulkan device" "$dir/one.log" && exit 77
for run in two-a two-b; do
  $mpi -np 2 "$vknn" train $common --max-steps 8 --out "$dir/$run" >"$dir/$run.log" 2>&1 || { cat "$dir/$run.log"; fail "2 ranks ($run)"; }
done
cat "$dir/two-a.log"
grep -q 'data-parallel: 2 ranks (MPI), global batch 32, 16 per rank' "$dir/two-a.log" || fail "not data-parallel"
[ "$(grep -c '^trained lenet to step 8' "$dir/two-a.log")" -eq 1 ] || fail "not exactly one rank reported the end"
ls "$dir/two-a" | grep -q '\.tmp\.' && fail "temporary files left"
[ "$(position "$dir/one")" = "$(position "$dir/two-a")" ] || fail "position: $(position "$dir/one") vs $(position "$dir/two-a")"
close "$dir/one" "$dir/two-a" "2 ranks at batch 16 vs 1 rank at batch 32"
$same "$dir/two-a/checkpoint.safetensors" "$dir/two-b/checkpoint.safetensors" || fail "two 2-rank runs differ"

# Resume across rank counts, and on the same count exactly.
$mpi -np 2 "$vknn" train $common --max-steps 4 --out "$dir/cut2" >"$dir/cut2.log" 2>&1 || { cat "$dir/cut2.log"; fail "2 ranks to step 4"; }
cp -r "$dir/cut2" "$dir/cut2-again"
"$vknn" train --resume --max-steps 8 --out "$dir/cut2" 2>"$dir/resume1.log" || { cat "$dir/resume1.log"; fail "resume on 1 rank"; }
grep -q 'resuming .* at epoch 1 batch 4 (step 4' "$dir/resume1.log" || { cat "$dir/resume1.log"; fail "not resumed at step 4"; }
close "$dir/one" "$dir/cut2" "2-rank checkpoint resumed on 1 rank"
$mpi -np 2 "$vknn" train --resume --max-steps 8 --out "$dir/cut2-again" >"$dir/resume2.log" 2>&1 || { cat "$dir/resume2.log"; fail "resume on 2 ranks"; }
$same "$dir/two-a/checkpoint.safetensors" "$dir/cut2-again/checkpoint.safetensors" || fail "2 ranks cut and resumed on 2"
"$vknn" train $common --max-steps 4 --out "$dir/cut1" 2>/dev/null || fail "1 rank to step 4"
$mpi -np 2 "$vknn" train --resume --max-steps 8 --out "$dir/cut1" >"$dir/resume3.log" 2>&1 || { cat "$dir/resume3.log"; fail "1-rank checkpoint resumed on 2 ranks"; }
close "$dir/one" "$dir/cut1" "1-rank checkpoint resumed on 2 ranks"

# Refusals and failures end every rank, with a message naming the flag or the rank.
odd=$(echo "$common" | sed 's/--batch 32/--batch 33/')
out=$($mpi -np 2 "$vknn" train $odd --max-steps 1 --out "$dir/odd" 2>&1) && fail "--batch 33 on 2 ranks accepted"
echo "$out" | grep -q -- '--batch: a global batch of 33 does not split into 2 equal slices' || { echo "$out"; fail "message"; }
start=$(date +%s)
out=$(timeout -s KILL 120 $mpi -np 1 "$vknn" train $common --max-steps 2 --out "$dir/bad" : \
      -np 1 "$vknn" train $(echo "$common" | sed "s|--data [^ ]*|--data $dir/no-such-data|") --max-steps 2 --out "$dir/bad" 2>&1) && fail "a rank without data: exit 0"
echo "$out"
echo "$out" | grep -q "vknn train: rank 1 (host .*): .*no-such-data" || fail "the error does not name rank 1 and its data"
[ $(( $(date +%s) - start )) -le 60 ] || fail "took more than 60 s"
# A rank that stops answering (SIGSTOP, mid-run) is named by the other after --dist-timeout:
# before it checked in for a step, as not heard from; after, as not answering a probe.
mark=vknn-stall-$$
log="$dir/stall.log"
long=$(echo "$common" | sed 's/--epochs 2/--epochs 1000/; s/--log-every 100/--log-every 1/')
timeout -s KILL 120 $mpi -x VKNN_TEST_MARK=$mark -np 2 "$vknn" train $long --dist-timeout 15 --out "$dir/stall" \
  >"$log" 2>&1 &
job=$!
i=0
while ! grep -q ' step 3/' "$log" 2>/dev/null && kill -0 $job 2>/dev/null && [ $i -lt 600 ]; do
  sleep 0.1
  i=$((i+1))
done
victim=
for e in $(grep -l -z -x "VKNN_TEST_MARK=$mark" /proc/[0-9]*/environ 2>/dev/null); do
  grep -q -z -x 'OMPI_COMM_WORLD_RANK=1' "$e" 2>/dev/null && victim=$(basename "$(dirname "$e")")
done
[ -n "$victim" ] || { kill -KILL $job; cat "$log"; fail "rank 1's process not found"; }
kill -STOP "$victim"
start=$(date +%s)
wait $job
rc=$?
elapsed=$(( $(date +%s) - start ))
kill -KILL "$victim" 2>/dev/null
echo "== rank 1 stopped: exit $rc after $elapsed s"
tail -12 "$log"
[ $rc -ne 0 ] || fail "the job exited 0 with rank 1 stopped"
[ $elapsed -le 60 ] || fail "took $elapsed s"
grep -q "rank 0 (host .*): .*lost rank 1 (host " "$log" || fail "rank 0 does not name rank 1 as lost"
echo "all data-parallel training checks passed"
