#!/bin/sh
# A diverging `vknn train` stops with a message, and nothing is committed from the diverged
# weights (a non-finite loss stops the run before any checkpoint is written from it):
#  - init: weights 1e30 times those of a fresh run (finite, so --init loads them): the first
#    step's loss overflows;
#  - steps: VKNN_TRAIN_FAULT=3:nan leaves a NaN in the weights after step 3, as an overflowing
#    update would (step 3's own loss is finite); step 4's loss is not;
#  - epoch: the same after step 2 with one batch per epoch: no training loss sees it, the
#    validation at the end of epoch 2 does, and the epoch's commit must not happen.
# Each exits 1 with a message naming the loss, "diverged" and the step of the last checkpoint;
# state.json and the checkpoint stay at that step, no temporary file is left, and the checkpoint
# still loads (eval refuses non-finite weights).
#   usage: train_diverge.sh VKNN DATA_DIR WORK_DIR
set -u
vknn=$1 data=$2 dir=$3
py=/usr/bin/python3
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
common="--model lenet --data $data --batch 32 --val-limit 64 --lr 0.05 --seed 7"

# The step a checkpoint's metadata names.
ckpt_step() {
  $py -c 'import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
print(json.loads(raw[8:8 + n])["__metadata__"]["step"])' "$1"
}

check() {  # NAME MESSAGE-PART LAST-STEP VKNN-TRAIN-ARGS...
  name=$1 part=$2 last=$3
  shift 3
  run="$dir/$name"
  "$vknn" train $common --out "$run" "$@" >"$run.out" 2>"$run.log"
  rc=$?
  cat "$run.log"
  [ $rc -eq 1 ] || fail "$name: exit $rc, not 1"
  grep -q "$part" "$run.log" || fail "$name: no '$part' in the message"
  grep -q 'diverged: try a smaller --lr' "$run.log" || fail "$name: the message does not say the run diverged"
  grep -Eq "the last checkpoint is at step $last( |$)" "$run.log" || fail "$name: the message does not name step $last"
  grep -Eq "\"step\": $last([^0-9]|\$)" "$run/state.json" || fail "$name: state.json is not at step $last"
  [ "$(ckpt_step "$run/checkpoint.safetensors")" = "$last" ] || fail "$name: the checkpoint is not at step $last"
  ls "$run" | grep -q '\.tmp\.' && fail "$name: temporary files left in $run"
  "$vknn" eval --model lenet --weights "$run/checkpoint.safetensors" --data "$data" --limit 64 >"$run.eval" 2>&1 ||
    { cat "$run.eval"; fail "$name: the checkpoint left behind does not load"; }
}
VKNN_TRAIN_FAULT=3:nan check steps 'the loss is nan at step 4 ' 0 --epochs 2 --limit 192
VKNN_TRAIN_FAULT=2:nan check epoch 'the validation loss is nan after step 2 ' 1 --epochs 3 --limit 32
[ -e "$dir/epoch/best.safetensors" ] || fail "epoch: epoch 1's best.safetensors is missing"
$py - "$dir/steps/checkpoint.safetensors" "$dir/huge.safetensors" <<'PY' || fail "writing huge.safetensors"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
data = bytearray(raw[8 + n:])
for k, v in header.items():
    if k != "__metadata__" and v["dtype"] == "F32":
        b, e = v["data_offsets"]
        vals = struct.unpack(f"<{(e - b) // 4}f", data[b:e])
        data[b:e] = struct.pack(f"<{len(vals)}f", *(x * 1e30 for x in vals))
open(sys.argv[2], "wb").write(raw[:8 + n] + bytes(data))
PY
check init 'the loss is [-a-z]* at step 1 ' 0 --epochs 1 --limit 64 --init "$dir/huge.safetensors"
echo "ok"
