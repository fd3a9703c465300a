#!/bin/sh
# The CLI's bad-input table. Every row runs one vknn command on a broken input and expects:
# a non-zero exit that is no signal (never 134 = abort by an uncaught exception, 139 = crash,
# 124 = our time limit), and a message on stderr that names the file, tensor or option.
# Inputs come from vknn_bad_inputs_fixture.
# usage: bad_inputs.sh VKNN FIXTURE WORKDIR
set -u
vknn=$1
fixture=$2
dir=$3
rm -rf "$dir"
mkdir -p "$dir"
"$fixture" "$dir" || { echo "FAIL: the fixture could not write $dir"; exit 1; }
w=$dir/lenet.safetensors
idx=$dir/idx
failed=0
limit=30  # seconds per row; a row that needs more is a failure (the old decoders took minutes)

# row EXPECTED-IN-STDERR VKNN-ARGS...
row() {
  t=$limit
  expect=$1
  shift
  timeout -s KILL $t "$vknn" "$@" > "$dir/out" 2> "$dir/err"
  rc=$?
  first=$(grep -F -- "$expect" "$dir/err" | head -1)
  [ -n "$first" ] || first=$(head -1 "$dir/err")
  why=""
  if [ $rc -eq 0 ]; then
    why="exit 0"
  elif [ $rc -eq 137 ]; then
    why="killed after $t s"
  elif [ $rc -gt 125 ]; then
    why="exit $rc (a signal or an abort)"
  elif ! grep -q -F -- "$expect" "$dir/err"; then
    why="exit $rc but stderr does not name '$expect'"
  fi
  if [ -z "$why" ]; then
    echo "ok: vknn $* -> exit $rc: $first"
  else
    echo "FAIL: vknn $* -> $why"
    sed 's/^/    /' "$dir/err" | head -20
    failed=1
  fi
}

# warn_row EXPECTED-IN-STDERR CACHE-DIR VKNN-ARGS...: a broken pipeline cache only costs time:
# the command must succeed, with a warning that names the path.
warn_row() {
  expect=$1
  cache=$2
  shift 2
  VKNN_PIPELINE_CACHE_DIR=$cache timeout -s KILL $limit "$vknn" "$@" > "$dir/out" 2> "$dir/err"
  rc=$?
  if [ $rc -eq 0 ] && grep -q -F -- "$expect" "$dir/err"; then
    echo "ok: VKNN_PIPELINE_CACHE_DIR=$cache vknn $* -> exit 0: $(grep -F -- "$expect" "$dir/err" | head -1)"
  else
    echo "FAIL: VKNN_PIPELINE_CACHE_DIR=$cache vknn $* -> exit $rc, expected 0 and a warning naming '$expect'"
    sed 's/^/    /' "$dir/err" | head -20
    failed=1
  fi
}

# --- paths: missing, unreadable, a directory for a file and a file for a directory ---
row "$dir/missing.safetensors" eval --model lenet --weights "$dir/missing.safetensors" --data "$idx"
row "$dir/missing-data" eval --model lenet --weights "$w" --data "$dir/missing-data"
row "$dir/missing.png" infer --model lenet --weights "$w" "$dir/missing.png"
row "$dir/missing.txt" infer --model lenet --weights "$w" --classes "$dir/missing.txt" "$dir/wide.png"
row "$dir/missing.safetensors" bench --model lenet --weights "$dir/missing.safetensors"
row "$dir/missing-data" train --model lenet --data "$dir/missing-data" --out "$dir/run"
row "$dir/idx" eval --model lenet --weights "$idx" --data "$idx"
row "$dir/idx" infer --model lenet --weights "$w" "$idx"
row "$dir/idx" infer --model lenet --weights "$idx" "$dir/wide.png"
row "$dir/idx" bench --model lenet --weights "$idx"
row "$w" eval --model lenet --weights "$w" --data "$w"
row "$w" train --model lenet --data "$w" --out "$dir/run"
cp "$w" "$dir/unreadable.safetensors"
chmod 000 "$dir/unreadable.safetensors"
if cat "$dir/unreadable.safetensors" > /dev/null 2>&1; then
  echo "SKIP: unreadable-file row: this user can read a mode-000 file (root?), so it tests nothing here"
else
  row "$dir/unreadable.safetensors" eval --model lenet --weights "$dir/unreadable.safetensors" --data "$idx"
fi
chmod 600 "$dir/unreadable.safetensors"

# --- the pipeline cache: a file where its folder goes, a directory where its file goes ---
matmul="bench matmul --size 8 --iters 1 --warmup 0"
echo "not a folder" > "$dir/cache-file"
warn_row "$dir/cache-file" "$dir/cache-file" $matmul
mkdir -p "$dir/cache"
VKNN_PIPELINE_CACHE_DIR=$dir/cache "$vknn" $matmul > /dev/null 2>&1
for f in "$dir"/cache/pipelines-*.bin; do
  if [ -f "$f" ]; then
    rm "$f"
    mkdir "$f"
    warn_row "$f" "$dir/cache" $matmul
  else
    echo "FAIL: no pipeline cache file was written into $dir/cache"
    failed=1
  fi
done

# --- datasets: no class folders, a single class, images that do not decode ---
row "$dir/empty" eval --model lenet --weights "$w" --data "$dir/empty"
row "$dir/oneclass" eval --model lenet --weights "$w" --data "$dir/oneclass"
row "$dir/oneclass" train --model lenet --data "$dir/oneclass" --out "$dir/run"
row "undecodable/test/class" eval --model lenet --weights "$w" --data "$dir/undecodable"
row "undecodable/train/class" train --model lenet --data "$dir/undecodable" --batch 2 --max-steps 2 --out "$dir/run"

# --- checkpoints: truncated, foreign, non-finite ---
row "truncated.safetensors" eval --model lenet --weights "$dir/truncated.safetensors" --data "$idx"
row "random.safetensors" eval --model lenet --weights "$dir/random.safetensors" --data "$idx"
row "json.safetensors" eval --model lenet --weights "$dir/json.safetensors" --data "$idx"
row "truncated.safetensors" infer --model lenet --weights "$dir/truncated.safetensors" "$dir/wide.png"
row "$(cat "$dir/nan-tensor.txt")" eval --model lenet --weights "$dir/nan.safetensors" --data "$idx"
row "$(cat "$dir/nan-tensor.txt")" infer --model lenet --weights "$dir/nan.safetensors" "$dir/wide.png"

# --- validation before the device: with a device that does not exist, the input is still
# what the error names (a command that opened the device first would name the device) ---
nodev="--device no-such-device-anywhere"
row "truncated.safetensors" eval --model lenet --weights "$dir/truncated.safetensors" --data "$idx" $nodev
row "json.safetensors" infer --model lenet --weights "$dir/json.safetensors" $nodev "$dir/wide.png"
row "$dir/missing-data" eval --model lenet --weights "$w" --data "$dir/missing-data" $nodev
row "$dir/idx" bench --model lenet --weights "$idx" $nodev
row "$(cat "$dir/nan-tensor.txt")" eval --model lenet --weights "$dir/nan.safetensors" --data "$idx" $nodev

# --- images: decompression bombs and an absurd aspect ratio (tiny files) ---
row "wide.png" infer --model lenet --weights "$w" "$dir/wide.png"
row "bomb.jpg" infer --model lenet --weights "$w" "$dir/bomb.jpg"
row "bomb.png" infer --model lenet --weights "$w" "$dir/bomb.png"

# --- device memory: a step that needs more than the device can allocate (ResNet-50 training
# at batch 256 keeps about 29 GB of activations; lavapipe allocates at most 2 GiB at once) is
# refused before anything runs, naming the size and the limit: no crash, no kill, no hang ---
row "of device memory" bench --model resnet50 --train --batch 256 --iters 1 --warmup 0

# --- numbers out of range (tests/cli/bad_numbers.sh has the full set) ---
row "--batch" eval --model lenet --weights "$w" --data "$idx" --batch 4294967328
row "--limit" eval --model lenet --weights "$w" --data "$idx" --limit -1
row "--num-classes" infer --model lenet --weights "$w" --num-classes 99999999999 "$dir/wide.png"
exit $failed
