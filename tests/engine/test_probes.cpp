// The device probes behind `vknn bench peak` and `vknn bench memory` compute what they
// claim: the FMA chains against the same recurrence in double, the copy byte for byte.
#include "gpu.h"

#include "vknn/engine/probe.h"

#include <cmath>

using namespace vknn;
using namespace vknn::test;

TEST_CASE("engine: the FMA probe computes its 32 chains per invocation") {
  FmaProbe p;
  p.invocations = 300;  // not a multiple of the workgroup size
  p.iterations = 7;
  p.mul = 0.75f, p.add = 0.125f;
  auto sums = device_buffer_zeros(p.invocations);
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_probe_fma(cl, p, sums.ref())); });
  std::vector<double> want(p.invocations);
  for (uint32_t i = 0; i < p.invocations; ++i) {
    double s = 0;
    for (uint32_t j = 0; j < 32; ++j) {
      double a = probe_fma_start(i, j);
      for (uint32_t r = 0; r < p.iterations * (kProbeFmaPerIteration / 32); ++r) a = a * p.mul + p.add;
      s += a;
    }
    want[i] = s;
  }
  check_close(read_back(sums, p.invocations), want, {1e-5, 1e-5}, "probe_fma sums");
  CHECK(probe_fma_flops(p) == 300.0 * 7 * 128 * 2);
}

TEST_CASE("engine: the FMA probe refuses loops past the driver's limit and too small a buffer") {
  auto sums = device_buffer_zeros(4);
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  FmaProbe p;
  p.invocations = 8, p.iterations = 1;
  check_refused(record_probe_fma(*cl, p, sums.ref()), "probe_fma", {"4 floats", "8 invocations"});
  if (gpu().profile().loop_limit != 0) {
    p.invocations = 4, p.iterations = gpu().profile().loop_limit;
    check_refused(record_probe_fma(*cl, p, sums.ref()), "probe_fma", {"loop limit"});
  }
  REQUIRE_OK(cl->end());
}

TEST_CASE("engine: the copy probe copies every byte and refuses mismatched ranges") {
  const size_t n = 4 * 1000 + 4;  // 1001 vec4s: not a multiple of the workgroup size
  auto src_v = random_floats(n, 7);
  auto src = device_buffer(src_v), dst = device_buffer_zeros(n);
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_probe_copy(cl, src.ref(), dst.ref())); });
  auto got = read_back(dst, n);
  CHECK(std::equal(got.begin(), got.end(), src_v.begin()));
  if (gpu().caps().shader_int64) {
    auto dst64 = device_buffer_zeros(n);
    run_recorded([&](CommandList& cl) { REQUIRE_OK(record_probe_copy(cl, src.ref(), dst64.ref(), true)); });
    got = read_back(dst64, n);
    CHECK(std::equal(got.begin(), got.end(), src_v.begin()));
  }

  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_probe_copy(*cl, src.ref().sub(0, 16), dst.ref().sub(0, 32)), "probe_copy", {"16 bytes", "32 bytes"});
  check_refused(record_probe_copy(*cl, src.ref().sub(0, 8), dst.ref().sub(0, 8)), "probe_copy", {"multiples of 16"});
  REQUIRE_OK(cl->end());
}
