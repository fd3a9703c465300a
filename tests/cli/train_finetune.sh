#!/bin/sh
# Fine-tuning with `vknn train --init FILE --replace-head K --freeze PREFIX` (lenet on a few
# hundred images of the fixture data): the frozen layers end as the file had them, the rest
# trained; the new head is not the file's. Bad uses are refused naming the flag.
#   usage: train_finetune.sh VKNN DATA_DIR WORK_DIR SAME_WEIGHTS_PY
set -u
vknn=$1 data=$2 dir=$3 same="/usr/bin/python3 $4"
common="--model lenet --data $data --epochs 1 --batch 32 --limit 128 --val-limit 32 --lr 0.05 --log-every 100"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
"$vknn" train $common --out "$dir/base" --weights-only "$dir/base.safetensors" 2>/dev/null || fail "base run"
grep -q momentum "$dir/base.safetensors" && fail "--weights-only wrote the momentum"
grep -q '"model":"lenet"' "$dir/base.safetensors" || fail "the weights do not name their model"
"$vknn" train $common --seed 9 --init "$dir/base.safetensors" --replace-head 10 --freeze conv --out "$dir/ft" \
  2>"$dir/ft.log" || { cat "$dir/ft.log"; fail "fine-tuning run"; }
cat "$dir/ft.log"
grep -q 'frozen: 4 parameter tensors' "$dir/ft.log" || fail "conv1/conv2 weights and biases are not the frozen ones"
$same "$dir/base.safetensors" "$dir/ft/checkpoint.safetensors" --only conv || fail "frozen layers changed"
$same "$dir/base.safetensors" "$dir/ft/checkpoint.safetensors" --differ fc || fail "unfrozen layers did not train"
out=$("$vknn" train $common --init "$dir/base.safetensors" --replace-head 7 --out "$dir/bad" 2>&1) && fail "head 7"
echo "$out" | grep -q -- '--replace-head 7: the data has 10 classes' || fail "message: $out"
out=$("$vknn" train $common --freeze nosuch --out "$dir/bad" --force 2>&1) && fail "freeze nosuch"
echo "$out" | grep -q -- "--freeze nosuch: no parameter of 'lenet' starts with 'nosuch'" || fail "message: $out"
out=$("$vknn" train $common --init "$dir/none.safetensors" --out "$dir/bad" --force 2>&1) && fail "missing init"
echo "$out" | grep -q -- "--init .*none.safetensors: not a file" || fail "message: $out"
echo "fine-tuning: all cases passed"
