#!/bin/sh
# vknn export, one case per CTest test:
#   export_cli.sh CASE VKNN PYTHON CHECK_PY
# CHECK_PY is export_check.py (onnx.checker, an independent torch interpreter, safetensors).
set -u
case_name=$1 vknn=$2 python=$3 check=$4
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# The python checks exit 77 without onnx/torch: the test is then skipped.
py() { "$python" "$check" "$@"; rc=$?; [ $rc -eq 77 ] && exit 77; return $rc; }

# check MODEL SHAPE: export with the initial weights, run the built-in model on a random input
# with vknn, and compare with the exported file run by the torch interpreter.
check_model() {
  "$vknn" export --model "$1" --onnx "$out/m.onnx" > "$out/o" || { cat "$out/o"; fail "export exited $?"; }
  cat "$out/o"
  grep -q "initial weights" "$out/o" || fail "no 'initial weights' in the summary"
  "$python" -c "import numpy as np; np.save('$out/x.npy', np.random.default_rng(5).standard_normal($2).astype(np.float32))" \
    || exit 77
  "$vknn" run --model "$1" --input "$out/x.npy" --output "$out/y.npy" || fail "vknn run exited $?"
  py check "$out/m.onnx" "$out/x.npy" "$out/y.npy" || fail "the exported file differs"
}

case $case_name in
lenet) check_model lenet "(2,1,28,28)" ;;
cifar-resnet20) check_model cifar-resnet20 "(2,3,32,32)" ;;
weights)
  "$vknn" export --model lenet --onnx "$out/init.onnx" > /dev/null || fail "export exited $?"
  py weights "$out/init.onnx" "$out/w.safetensors" "$out/bad.safetensors" "$out/missing.safetensors" \
    || fail "writing the weights"
  "$vknn" export --model lenet --weights "$out/w.safetensors" --onnx "$out/m.onnx" > "$out/o" || fail "export exited $?"
  cat "$out/o"
  grep -q "weights of $out/w.safetensors" "$out/o" || fail "the summary does not name the weights"
  py same "$out/m.onnx" "$out/w.safetensors" || fail "initializers differ from the weights"
  # A weights file that does not fit: exit 1, the file and tensor named, and the earlier
  # file at the output path left as it was.
  cp "$out/m.onnx" "$out/keep.onnx"
  for bad in bad missing; do
    "$vknn" export --model lenet --weights "$out/$bad.safetensors" --onnx "$out/m.onnx" > "$out/e" 2>&1; rc=$?
    cat "$out/e"
    test $rc -eq 1 || fail "$bad weights: exit status $rc, not 1"
    grep -q "$bad.safetensors.*conv1.bias" "$out/e" || fail "$bad weights: the file and tensor are not named"
    cmp -s "$out/m.onnx" "$out/keep.onnx" || fail "$bad weights: the earlier output was changed"
  done
  test -z "$(ls "$out" | grep -v -e '\.onnx$' -e '\.safetensors$' -e '^[oe]$')" || fail "a temporary file was left"
  ;;
refusals)
  "$vknn" export --model nosuch --onnx "$out/m.onnx" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 2 || fail "unknown model: exit status $rc, not 2"
  grep -q "unknown model 'nosuch'.*or FILE.onnx" "$out/e" || fail "unknown model message"
  "$vknn" export --model lenet --onnx "$out/no/such/m.onnx" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 1 || fail "missing folder: exit status $rc, not 1"
  grep -q "no/such/m.onnx: the folder .*no/such does not exist" "$out/e" || fail "missing folder message"
  "$vknn" export --model lenet --onnx "$out" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 1 || fail "a folder as output: exit status $rc, not 1"
  grep -q "is a directory, not a file" "$out/e" || fail "folder output message"
  "$vknn" export --model lenet --weights "$out/none.safetensors" --onnx "$out/m.onnx" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq 1 || fail "missing weights: exit status $rc, not 1"
  grep -q "none.safetensors: does not exist" "$out/e" || fail "missing weights message"
  test ! -e "$out/m.onnx" || fail "a file was written"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "export cli $case_name: OK"
