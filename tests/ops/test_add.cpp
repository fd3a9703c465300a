// The residual add on the device: every case of graph/cases/ops/add.cpp against the reference
// (forward plain, accumulating and in place, the fanned-out backward with each target's
// accumulate flag and absent targets, the copy/accumulate/scale helpers, odd and ResNet
// shapes), a tensor larger than one binding, and refused inputs.
#include "op_cases.h"
#include "reference/add.h"

#include "vknn/ops/add.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(add, ref::add_case_outputs)

TEST_CASE("add: a tensor larger than one storage-buffer binding is processed in chunks") {
  // 2^25 + 100 floats (128 MiB + 400 bytes): two chunks on lavapipe (maxStorageBufferRange 128 MiB).
  const size_t n = (size_t(1) << 25) + 100;
  std::vector<float> a(n), b(n);
  for (size_t i = 0; i < n; ++i) a[i] = float(i % 1000), b[i] = float(i % 7) * 0.5f;
  auto ta = make_tensor({int64_t(n)}, a), tb = make_tensor({int64_t(n)}, b);
  run_recorded([&](CommandList& cl) { REQUIRE_OK(record_accumulate(cl, ta.view(), tb.view())); });
  const auto got = tb.read();
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) bad += got[i] != float(i % 1000) + float(i % 7) * 0.5f;
  CHECK(bad == 0);
}

TEST_CASE("add: refused inputs name the op and the shapes") {
  auto a = make_tensor({2, 3}), other = make_tensor({3, 2}), empty = make_tensor({0});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_add_forward(*cl, a.view(), other.view(), a.view()), "add_forward", {"b", "(3,2)", "(2,3)"});
  check_refused(record_add_forward(*cl, a.view(), a.view(), other.view()), "add_forward", {"y", "(3,2)", "(2,3)"});
  check_refused(record_add_forward(*cl, empty.view(), empty.view(), empty.view()), "add_forward", {"(0)"});
  check_refused(record_add_backward(*cl, a.view(), other.view(), false, a.view(), false), "add_backward",
                {"da", "(3,2)", "(2,3)"});
  auto da = make_tensor({2, 3});
  check_refused(record_add_backward(*cl, a.view(), da.view(), false, other.view(), true), "add_backward",
                {"db", "(3,2)"});
  check_refused(record_add_backward(*cl, a.view(), TensorView{}, false, TensorView{}, false), "add_backward",
                {"neither", "(2,3)"});
  check_refused(record_add_backward(*cl, a.view(), da.view(), false, da.view(), false), "add_backward", {"overlap"});
  check_refused(record_copy(*cl, a.view(), other.view()), "copy", {"(3,2)", "(2,3)"});
  check_refused(record_accumulate(*cl, a.view(), other.view()), "accumulate", {"(3,2)", "(2,3)"});
  check_refused(record_scale(*cl, a.view(), 2.0f, other.view(), false), "scale", {"(3,2)", "(2,3)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
