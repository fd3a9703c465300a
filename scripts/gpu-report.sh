#!/usr/bin/env bash
# One report folder from a device: the test suite (with the validation layer), the device's own
# yardsticks and the benchmarks, for the day vknn runs on a GPU. Usage:
#
#   scripts/gpu-report.sh [--build DIR] [--out DIR] [--device K] [--short]
#
#   --build DIR  use this build instead of configuring and building build/ (scripts/build.sh)
#   --out DIR    the report folder (default gpu-report-<date>-<host>); made, never cleared
#   --device K   VKNN_DEVICE for every run (an index or a part of the device's name)
#   --short      a quick pass to check the script itself: the engine suite only, tiny benchmarks,
#                one small model (on a CPU driver the full run takes an hour or more)
#
# The folder holds: devices.json, env.txt (the versions and environment), suite.log (ctest),
# and one JSON per benchmark (peak, memory, ops, model-*.json), with a .log of each run's
# stderr; summary.txt lists every step with its result and wall time. A failing step is
# recorded and the script goes on; it exits 1 when any step failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="" out="" short=0
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --device) export VKNN_DEVICE=$2; shift 2 ;;
    --short) short=1; shift ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-report.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ -z "$build" ]; then
  "$root/scripts/build.sh" || { echo "gpu-report.sh: the build failed" >&2; exit 1; }
  build=$root/build
fi
build=$(cd "$build" && pwd) || exit 1
vknn=$build/tools/vknn
[ -x "$vknn" ] || { echo "gpu-report.sh: no vknn binary at $vknn (build the vknn_cli target)" >&2; exit 1; }
[ -n "$out" ] || out=gpu-report-$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1
echo "gpu-report.sh: writing $out"

failed=0
step() {  # NAME OUTFILE COMMAND...: stdout to OUTFILE, stderr to NAME.log; result into summary.txt
  local name=$1 file=$2 start=$SECONDS rc
  shift 2
  echo "== $name: $*"
  "$@" >"$out/$file" 2>"$out/$name.log"
  rc=$?
  printf '%-30s %6d s  %s\n' "$name" $((SECONDS - start)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")" \
    | tee -a "$out/summary.txt"
  [ $rc -eq 0 ] || failed=1
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname)  cpus: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "commit: $(git -C "$root" rev-parse HEAD 2>/dev/null)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (modified)')"
  echo "vknn: $("$vknn" --version 2>&1)"
  echo "kernel: $(uname -srm)"
  env | grep -E '^(VKNN_|LP_|MESA_|VK_)' | sort
} >"$out/env.txt"

step devices devices.json "$vknn" devices --json
"$vknn" devices >"$out/devices.txt" 2>&1

if [ $short = 1 ]; then
  suite=(-R "^engine:" -E "the suite at")
  peak=(--invocations 4096 --iterations 256 --iters 3 --warmup 1)
  memory=(--mib 16 --iters 3 --warmup 1)
  ops=(--filter "alexnet fc8" --iters 2 --warmup 1)
  models=("cifar-resnet20 1" "cifar-resnet20 1 --train")
  iters=(--iters 2 --warmup 1)
else
  suite=()
  peak=()
  memory=()
  ops=(--iters 5 --warmup 2)
  models=("alexnet 1" "alexnet 8" "resnet18 1" "resnet18 8" "resnet50 1" "resnet50 8"
          "cifar-resnet20 128 --train" "alexnet 8 --train" "resnet18 8 --train")
  iters=(--iters 7 --warmup 2)
fi
step suite suite.log ctest --test-dir "$build" -j "$(nproc)" --output-on-failure --no-tests=error --timeout 1500 "${suite[@]}"
step bench-peak peak.json "$vknn" bench peak "${peak[@]}" --json
step bench-memory memory.json "$vknn" bench memory "${memory[@]}" --json
step bench-ops ops.json "$vknn" bench ops "${ops[@]}" --json
for m in "${models[@]}"; do
  read -r model batch train <<<"$m"
  name=model-$model-b$batch${train:+-train}
  # shellcheck disable=SC2086  # $train is empty or one flag
  step "$name" "$name.json" "$vknn" bench --model "$model" --batch "$batch" $train "${iters[@]}" --json
done
layers_model=$([ $short = 1 ] && echo cifar-resnet20 || echo resnet50)
step "layers-$layers_model-b1" "layers-$layers_model-b1.txt" "$vknn" bench --model "$layers_model" --batch 1 --layers \
  "${iters[@]}"

echo "gpu-report.sh: $out/summary.txt"
cat "$out/summary.txt"
exit $failed
