#!/bin/sh
# `vknn train --model FILE.onnx`: a small conv net exported by PyTorch in training mode (its
# batch norms kept) trains through the same Trainer as the built-in models.
#  - 3 epochs of one batch each with the PyTorch SGD rule take the same steps as
#    torch.optim.SGD, and with AdamW, 1 warmup epoch and the cosine schedule the same as
#    torch.optim.AdamW under LinearLR + CosineAnnealingLR: the losses and every parameter
#    after the last step agree within 1e-4 (train_onnx.py compare);
#  - the checkpoint names the model by the file's SHA-256 and holds the parameters under
#    their ONNX names; `vknn eval` takes it with the same file;
#  - a run stopped by --max-steps and resumed with the flags left out ends bit-identical;
#  - --freeze addresses ONNX names; --input-size is refused (the file fixes it).
#   usage: train_onnx.sh VKNN PYTHON WORK_DIR SAME_WEIGHTS_PY
set -u
vknn=$1 python=$2 dir=$3 same="$2 $4"
here=$(dirname "$0")
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir" || exit 1
"$python" "$here/train_onnx.py" export "$dir" 2>/dev/null
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "export exited $rc"
common="--model $dir/model.onnx --data $dir/data --batch 32 --rule pytorch --lr 0.05 --momentum 0.9 --weight-decay 5e-4"
adamw="--model $dir/model.onnx --data $dir/data --batch 32 --optimizer adamw --lr 0.01 --beta1 0.9 --beta2 0.99 --eps 1e-3
  --weight-decay 0.05 --schedule cosine --warmup-epochs 1 --epochs 3"

"$vknn" train $common --epochs 3 --out "$dir/ref" 2>"$dir/ref.log" || { cat "$dir/ref.log"; fail "training run"; }
"$python" "$here/train_onnx.py" compare "$dir" sgd "$dir/ref/checkpoint.safetensors" "$dir/ref/metrics.csv" \
  || fail "vknn's SGD steps differ from PyTorch's"
"$vknn" train $adamw --out "$dir/adamw" 2>"$dir/adamw.log" || { cat "$dir/adamw.log"; fail "AdamW run"; }
"$python" "$here/train_onnx.py" compare "$dir" adamw "$dir/adamw/checkpoint.safetensors" "$dir/adamw/metrics.csv" \
  || fail "vknn's AdamW steps differ from PyTorch's"
grep -q 'exp_avg_sq' "$dir/adamw/checkpoint.safetensors" || fail "no AdamW state in the checkpoint"
"$vknn" train $adamw --max-steps 2 --out "$dir/adamw-cut" 2>/dev/null || fail "AdamW run to step 2"
"$vknn" train --resume --out "$dir/adamw-cut" 2>/dev/null || fail "AdamW resume"
$same "$dir/adamw/checkpoint.safetensors" "$dir/adamw-cut/checkpoint.safetensors" || fail "AdamW max-steps + resume"
grep -q '"model":"onnx-sha256:[0-9a-f]\{64\}"' "$dir/ref/checkpoint.safetensors" || fail "the checkpoint does not name its model"
"$vknn" eval --model "$dir/model.onnx" --weights "$dir/ref/checkpoint.safetensors" --data "$dir/data" > "$dir/eval.log" \
  || { cat "$dir/eval.log"; fail "eval of the checkpoint"; }
cat "$dir/eval.log"

"$vknn" train $common --epochs 3 --max-steps 2 --out "$dir/cut" 2>/dev/null || fail "run to step 2"
"$vknn" train --resume --out "$dir/cut" 2>"$dir/cut.log" || { cat "$dir/cut.log"; fail "resume"; }
grep -q 'resuming .* at epoch 3 batch 0 (step 2' "$dir/cut.log" || { cat "$dir/cut.log"; fail "not resumed at step 2"; }
$same "$dir/ref/checkpoint.safetensors" "$dir/cut/checkpoint.safetensors" || fail "max-steps + resume"

"$vknn" train $common --epochs 1 --freeze conv1,bn1 --out "$dir/frozen" 2>"$dir/frozen.log" \
  || { cat "$dir/frozen.log"; fail "--freeze run"; }
grep -q 'frozen: 3 parameter tensors' "$dir/frozen.log" || { cat "$dir/frozen.log"; fail "conv1 and bn1 are not the frozen ones"; }
for p in conv1 bn1; do
  $same "$dir/initial.safetensors" "$dir/frozen/checkpoint.safetensors" --only $p || fail "frozen $p changed"
done
$same "$dir/initial.safetensors" "$dir/frozen/checkpoint.safetensors" --differ conv2 || fail "conv2 did not train"
out=$("$vknn" train $common --input-size 32 --out "$dir/bad" 2>&1) && fail "--input-size 32 accepted"
echo "$out" | grep -q -- "--input-size 32: .*model.onnx fixes its input at 28x28" || fail "message: $out"
echo "train onnx: OK"
