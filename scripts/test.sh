#!/usr/bin/env bash
# The whole test suite, in phases:
#   deps       install what is missing (scripts/install-deps.sh)
#   build      build/ with warnings as errors (scripts/build.sh)
#   suite      every test under CTest (GPU suites with the Khronos validation layer,
#              synchronization validation included; any message fails the test); the engine and
#              op suites run again at subgroup widths 4 and 16 and with every op class on its
#              GPU variant (CTest label "variants", tests/CMakeLists.txt)
#   sanitize   the suites of vknn's host code again, built with AddressSanitizer and
#              UndefinedBehaviorSanitizer; any report fails (scripts/test-sanitize.sh, scope
#              VKNN_SANITIZE_SCOPE, host by default; docs/fuzzing.md says which suites run and
#              why not all). VKNN_TEST_SANITIZE=0 leaves the phase out.
#   fuzz       every fuzz target built with libFuzzer: its regression inputs replayed, then
#              VKNN_FUZZ_SECONDS (20) of fuzzing each (scripts/test-fuzz.sh)
# Every phase runs even when an earlier one failed (except after deps or a failed build of the
# same tree), the wall time of each is printed, and the script fails naming each phase that
# failed. CI (.ci/run) runs this script and nothing else.
set -uo pipefail
cd "$(dirname "$0")/.."
# The autotuner picks kernels by timing them, so with it on a test's result could depend on the
# machine's load (two runs compared bit for bit could run different kernels). The suite runs
# with it off; its own tests (tests/ops/test_conv2d_tune.cpp, tests/cli/tune.sh) turn it on.
export VKNN_TUNE=${VKNN_TUNE:-off}
jobs=$(nproc)
summary=()
failed=()
phase() {  # NAME COMMAND...: runs the command, records its time and result
  local name=$1 start=$SECONDS rc
  shift
  echo "=== test.sh: phase $name: $*"
  "$@"
  rc=$?
  summary+=("$(printf '%-9s %5d s  %s' "$name" $((SECONDS - start)) "$([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)")")")
  [ $rc -eq 0 ] || failed+=("$name")
  return $rc
}
report() {
  echo "=== test.sh: phases (wall time; load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
  printf '  %s\n' "${summary[@]}"
  printf '  %-9s %5d s\n' total "$SECONDS"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "test.sh: FAILED phase(s): ${failed[*]}" >&2
    exit 1
  fi
  echo "test.sh: every phase passed"
}
phase deps scripts/install-deps.sh || report
if phase build scripts/build.sh; then
  phase suite ctest --test-dir build -j "$jobs" --output-on-failure --timeout 1500
fi
[ "${VKNN_TEST_SANITIZE:-1}" = 0 ] || phase sanitize scripts/test-sanitize.sh
phase fuzz scripts/test-fuzz.sh
report
