#!/usr/bin/env bash
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer (GCC) into
# build-asan/. Any report stops the process that made it (-fno-sanitize-recover=all), so the
# suite passes only with zero reports. Leaks are checked too; scripts/lsan.supp suppresses
# leaks inside the Vulkan loader, the validation layer, Mesa and LLVM only, never vknn's.
#
# VKNN_SANITIZE_SCOPE says how much runs:
#   host (default; what CI runs): the suites whose time goes to vknn's own host code: unit,
#         reference, data (every parser and decoder), the fuzz regression replays, graph
#         (building, autodiff, planning), engine (recording, barriers, the pipeline cache),
#         train (run state, checkpoints), and the CLI suite (the bad-input table, train,
#         resume, eval, infer, bench on small models, ONNX files) but for its two longest
#         runs (AlexNet split three ways; a kill at every commit). Only their programs are
#         built, which with the CI's two cores keeps scripts/test.sh within its hour.
#   suite: every test but nine long runs of full-size torchvision networks against PyTorch
#         and of full-size AlexNet on two devices (about 10 minutes of the plain suite's time,
#         spent in the Vulkan driver and PyTorch; their host code is the one smaller tests run).
#   all:  every test.
# Extra arguments go to ctest (e.g. -R REGEX).
set -euo pipefail
cd "$(dirname "$0")/.."
# -O1 -g1 (line tables, enough for every report's stack): ASan's recommended level, and at it
# GCC compiles the instrumented executor in less than half the time of -O2 -g.
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVKNN_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
  -DVKNN_SANITIZE=address,undefined >/dev/null
scope=${VKNN_SANITIZE_SCOPE:-host}
start=$SECONDS
case "$scope" in
  host)
    fuzz_targets=$(sed -n 's/^set(VKNN_FUZZ_TARGETS \(.*\))$/\1/p' fuzz/CMakeLists.txt | sed 's/[a-z_]\{1,\}/fuzz_&/g')
    cmake --build build-asan -j "$(nproc)" --target unit_tests reference_tests data_tests graph_tests engine_tests \
      train_tests vknn_preprocess_dump vknn_cli cli_tests vknn_bad_inputs_fixture vknn_train_fixture $fuzz_targets
    select=(-R '^(unit|reference|data|fuzz|graph|engine|train|cli):')
    skip=(-E '^cli: (vknn bench --model alexnet --split all|vknn train resumes exactly after)')
    ;;
  suite | all) cmake --build build-asan -j "$(nproc)" ;;
  *) echo "VKNN_SANITIZE_SCOPE must be host, suite or all, not '$scope'" >&2; exit 2 ;;
esac
root=$(pwd)
built=$SECONDS
echo "test-sanitize.sh: $scope scope built in $((built - start)) s"
# detect_odr_violation=0: the Vulkan loader and the ICD each carry a copy of some symbols.
# quarantine_size_mb: how much freed memory ASan holds back (poisoned) to catch a use after
# free. The default, 256, made a GPU test 5 times as costly as without sanitizers (7.9 s of CPU
# against 1.55 s: the driver and the validation layer free and allocate all the time); 16 costs
# 3.4 times and still holds the last 16 MB freed, which covers a reference into a vector read
# right after the append that moved it. 0 would cost 1.25 times but catch almost nothing.
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:detect_odr_violation=0:quarantine_size_mb=${VKNN_ASAN_QUARANTINE_MB:-16}"
export LSAN_OPTIONS="suppressions=$root/scripts/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
[ "$scope" = host ] || { select=(); skip=(); }
if [ "$scope" = suite ]; then
  skip=(-E '^(onnx: export torchvision (resnet18|alexnet)|onnx: torchvision (resnet18|alexnet) matches PyTorch|onnx: export resnet18 in training mode|onnx: resnet18 trains like PyTorch|models: torchvision ResNet-18 state_dict|models:split: full-size AlexNet|cli: vknn bench --model alexnet --split all)')
fi
cd build-asan
rc=0
ctest -j "$(nproc)" --output-on-failure --timeout 3000 "${select[@]}" "${skip[@]}" "$@" || rc=$?
echo "test-sanitize.sh: $scope scope: build $((built - start)) s, tests $((SECONDS - built)) s (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
exit $rc
