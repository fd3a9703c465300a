#!/bin/sh
# vknn export, one case per CTest test:
#   export_cli.sh CASE VKNN PYTHON CHECK_PY [MODELS]
# CHECK_PY is export_check.py (onnx.checker, an independent torch interpreter, safetensors);
# MODELS (case onnx) what tests/cli/onnx_cli_export.py wrote.
set -u
case_name=$1 vknn=$2 python=$3 check=$4 models=${5:-}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# The python checks exit 77 without onnx/torch: the test is then skipped.
py() { "$python" "$check" "$@"; rc=$?; [ $rc -eq 77 ] && exit 77; return $rc; }
# refused STATUS PATTERN WHAT COMMAND...: the command exits with STATUS and says PATTERN.
refused() {
  want=$1 pattern=$2 what=$3
  shift 3
  "$@" > "$out/e" 2>&1; rc=$?
  cat "$out/e"
  test $rc -eq "$want" || fail "$what: exit status $rc, not $want"
  grep -q -- "$pattern" "$out/e" || fail "$what: the message does not say '$pattern'"
}

# check MODEL SHAPE: export with the initial weights, then with those weights perturbed (so
# batch-norm statistics are not 0 and 1), run the built-in model with the same weights on a
# random input with vknn, and compare with the exported file run by the torch interpreter.
check_model() {
  "$vknn" export --model "$1" --onnx "$out/init.onnx" > "$out/o" || { cat "$out/o"; fail "export exited $?"; }
  cat "$out/o"
  grep -q "initial weights" "$out/o" || fail "no 'initial weights' in the summary"
  py check "$out/init.onnx" || fail "the checker refused the file"
  py weights "$out/init.onnx" "$out/w.safetensors" || fail "writing the weights"
  "$vknn" export --model "$1" --weights "$out/w.safetensors" --onnx "$out/m.onnx" || fail "export --weights exited $?"
  "$python" -c "import numpy as np; np.save('$out/x.npy', np.random.default_rng(5).standard_normal($2).astype(np.float32))" \
    || exit 77
  "$vknn" run --model "$1" --weights "$out/w.safetensors" --input "$out/x.npy" --output "$out/y.npy" \
    || fail "vknn run exited $?"
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
onnx)
  # PyTorch's files, imported and exported again: the same outputs (all of them, in order),
  # and the file passes the checks.
  for m in small two_outputs; do
    outs_a="--output $out/a.npy" outs_c="--output $out/c.npy"
    if [ "$m" = two_outputs ]; then outs_a="$outs_a --output $out/b.npy" outs_c="$outs_c --output $out/d.npy"; fi
    "$vknn" export --model "$models/$m.onnx" --onnx "$out/$m.onnx" || fail "$m: export exited $?"
    # shellcheck disable=SC2086
    "$vknn" run --model "$models/$m.onnx" --input "$models/input.npy" $outs_a || fail "$m: run exited $?"
    # shellcheck disable=SC2086
    "$vknn" run --model "$out/$m.onnx" --input "$models/input.npy" $outs_c || fail "$m: run of the export exited $?"
    cmp -s "$out/a.npy" "$out/c.npy" || fail "$m: the exported file's outputs differ"
    if [ "$m" = two_outputs ]; then cmp -s "$out/b.npy" "$out/d.npy" || fail "$m: the second outputs differ"; fi
  done
  "$vknn" run --model "$models/small.onnx" --input "$models/input.npy" --output "$out/y.npy" || fail "run exited $?"
  py check "$out/small.onnx" "$models/input.npy" "$out/y.npy" || fail "the exported file differs"
  refused 2 "an ONNX model fixes its own input size" "--input-size with an ONNX model" "$vknn" export --model "$models/small.onnx" --input-size 32 --onnx "$out/m.onnx"
  ;;
refusals)
  refused 2 "unknown model 'nosuch'.*or FILE.onnx" "unknown model" "$vknn" export --model nosuch --onnx "$out/m.onnx"
  refused 1 "no/such/m.onnx: the folder .*no/such does not exist" "missing folder" "$vknn" export --model lenet --onnx "$out/no/such/m.onnx"
  refused 1 "is a directory, not a file" "a folder as output" "$vknn" export --model lenet --onnx "$out"
  refused 1 "none.safetensors: does not exist" "missing weights" "$vknn" export --model lenet --weights "$out/none.safetensors" --onnx "$out/m.onnx"
  test ! -e "$out/m.onnx" || fail "a file was written"
  ;;
*) fail "unknown case $case_name" ;;
esac
echo "export cli $case_name: OK"
