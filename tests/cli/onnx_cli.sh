#!/bin/sh
# The CLI with --model FILE.onnx, one case per CTest test:
#   onnx_cli.sh CASE VKNN PYTHON MODELS DATA
# MODELS is what onnx_cli_export.py wrote, DATA the train fixture's IDX data and PNG.
set -u
case_name=$1 vknn=$2 python=$3 dir=$4 data=$5
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

case $case_name in
inspect)
  "$vknn" inspect "$dir/small.onnx" --batch 2 > "$out/o" || fail "inspect exited $?"
  cat "$out/o"
  grep -q "input   input  *(2,1,28,28)" "$out/o" || fail "input shape at batch 2"
  grep -q "output  logits  *(2,10)" "$out/o" || fail "output shape at batch 2"
  # conv1 8*1*9+8 (its batch norm folded in by the export) + conv2 16*8*9+16 + fc 10*16+10
  grep -q "total: .* 1418 parameters" "$out/o" || fail "parameter count"
  grep -q "unsupported: none" "$out/o" || fail "no unsupported line"
  grep -q "import: [0-9][0-9.]* ms" "$out/o" || fail "no import time"
  ;;
inspect-unsupported)
  "$vknn" inspect --model "$dir/unsupported.onnx" > "$out/o" 2> "$out/e"; rc=$?
  cat "$out/o" "$out/e"
  test $rc -eq 1 || fail "exit status $rc, not 1"
  grep -q "2 nodes cannot be imported" "$out/o" || fail "count of unsupported nodes"
  grep -q "node '/Sin' (Sin)" "$out/o" || fail "Sin not listed"
  grep -q "node '/Cos' (Cos)" "$out/o" || fail "Cos not listed"
  ;;
run)
  "$vknn" run --model "$dir/small.onnx" --input "$dir/input.npy" --output "$out/y.npy" || fail "run exited $?"
  "$python" - "$out/y.npy" "$dir/expected.npy" <<'PY' || fail "outputs differ from PyTorch's"
import sys
import numpy as np
y, ref = np.load(sys.argv[1]), np.load(sys.argv[2])
assert y.shape == ref.shape, (y.shape, ref.shape)
rel = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
print(f"vknn run vs PyTorch: shape {y.shape}, relative (normwise) difference {rel:.3g}")
assert rel <= 1e-4, rel
assert (y.argmax(1) == ref.argmax(1)).all()
PY
  ;;
run-outputs)
  "$vknn" run --model "$dir/two_outputs.onnx" --input "$dir/input.npy" --output "$out/y.npy" --output "$out/f.npy" \
    || fail "run exited $?"
  "$python" - "$out/y.npy" "$dir/expected.npy" "$out/f.npy" "$dir/expected_features.npy" <<'PY' || fail "outputs differ"
import sys
import numpy as np
for got, want in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):
    y, ref = np.load(got), np.load(want)
    assert y.shape == ref.shape, (y.shape, ref.shape)
    rel = float(np.linalg.norm(y - ref) / np.linalg.norm(ref))
    print(f"{got}: shape {y.shape}, relative (normwise) difference to PyTorch {rel:.3g}")
    assert rel <= 1e-4, rel
PY
  "$vknn" run --model "$dir/small.onnx" --input "$dir/input.npy" --output "$out/a.npy" --output "$out/b.npy" \
    > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 1 || fail "too many --output: exit status $rc, not 1"
  grep -q "has 1 output, but --output was given 2 times" "$out/e" || fail "too many --output message"
  ;;
run-refusals)
  "$vknn" run --model "$dir/small.onnx" --input "$dir/wrong_shape.npy" --output "$out/y.npy" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 1 || fail "wrong shape: exit status $rc, not 1"
  grep -q "wrong_shape.npy: shape (2,3,28,28) does not fit input 'input'.*(2,1,28,28)" "$out/e" || fail "wrong shape message"
  test ! -e "$out/y.npy" || fail "an output was written"
  "$vknn" run --model "$out/missing.onnx" --input "$dir/input.npy" --output "$out/y.npy" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 1 || fail "missing model: exit status $rc, not 1"
  grep -q "missing.onnx: cannot open" "$out/e" || fail "missing model message"
  "$vknn" run --model nosuch --input "$dir/input.npy" --output "$out/y.npy" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 2 || fail "unknown name: exit status $rc, not 2"
  grep -q "unknown model 'nosuch'.*or FILE.onnx" "$out/e" || fail "unknown name message"
  ;;
bench)
  "$vknn" bench --model "$dir/small.onnx" --batch 2 --iters 2 --warmup 1 --json > "$out/o" || fail "bench exited $?"
  cat "$out/o"
  grep -q '"images_per_s":[0-9]' "$out/o" || fail "no images_per_s"
  "$vknn" bench --model "$dir/small.onnx" --batch 2 --iters 1 --warmup 0 --train > "$out/o" || fail "bench --train exited $?"
  cat "$out/o"
  grep -q "loss after the last step" "$out/o" || fail "no loss"
  ;;
eval)
  "$vknn" eval --model "$dir/small.onnx" --data "$data" --batch 64 > "$out/o" || fail "eval exited $?"
  cat "$out/o"
  grep -q "500 images): top-1 [0-9.]*%  top-5 [0-9.]*%  loss" "$out/o" || fail "no accuracy line"
  ;;
infer)
  "$vknn" infer --model "$dir/small.onnx" "$data/class3.png" > "$out/o" || fail "infer exited $?"
  cat "$out/o"
  test "$(grep -c '^ *[1-5]\. class' "$out/o")" -eq 5 || fail "not 5 classes"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "onnx cli $case_name: OK"
