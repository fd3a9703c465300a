// The residual add on the device: forward (plain, accumulating, in place), the fanned-out
// backward with each target's accumulate flag and absent targets, the copy/accumulate/scale
// helpers, a tensor larger than one binding, and refused inputs.
#include "gpu.h"
#include "reference/add.h"

#include "vknn/ops/add.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_add(const Shape& shape, uint32_t seed) {
  CAPTURE(shape.str());
  const size_t n = size_t(shape.numel());
  const auto a = random_floats(n, seed), b = random_floats(n, seed + 1), y0 = random_floats(n, seed + 2);
  const auto dy = random_floats(n, seed + 3), g0 = random_floats(n, seed + 4);
  const auto y_want = ref::add_forward(to_double(a), to_double(b));
  const auto back = ref::add_backward(to_double(dy));

  auto ta = make_tensor(shape, a), tb = make_tensor(shape, b), ty = make_tensor(shape, y0);
  auto ty_acc = make_tensor(shape, y0), tinplace = make_tensor(shape, a);
  auto tdy = make_tensor(shape, dy), tda = make_tensor(shape, g0), tdb = make_tensor(shape, g0);
  auto tda2 = make_tensor(shape, g0), tdb2 = make_tensor(shape, g0), tonly = make_tensor(shape, g0);
  auto tonly_a = make_tensor(shape, g0);
  auto tcopy = make_tensor(shape, g0), tacc = make_tensor(shape, g0), tscale = make_tensor(shape, g0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_add_forward(cl, ta.view(), tb.view(), ty.view()));
    REQUIRE_OK(record_add_forward(cl, ta.view(), tb.view(), ty_acc.view(), true));
    REQUIRE_OK(record_add_forward(cl, tinplace.view(), tb.view(), tinplace.view()));  // a += b
    REQUIRE_OK(record_add_backward(cl, tdy.view(), tda.view(), false, tdb.view(), true));
    REQUIRE_OK(record_add_backward(cl, tdy.view(), tda2.view(), true, tdb2.view(), false));
    REQUIRE_OK(record_add_backward(cl, tdy.view(), TensorView{}, false, tonly.view(), true));
    REQUIRE_OK(record_add_backward(cl, tdy.view(), tonly_a.view(), false, TensorView{}, true));
    REQUIRE_OK(record_copy(cl, tdy.view(), tcopy.view()));
    REQUIRE_OK(record_accumulate(cl, tdy.view(), tacc.view()));
    REQUIRE_OK(record_scale(cl, tdy.view(), -0.5f, tscale.view(), false));
  });
  check_close(ty.read(), y_want, {}, "add y");
  check_close(ty_acc.read(), plus(y_want, y0), {}, "add y (accumulate)");
  check_close(tinplace.read(), y_want, {}, "add y (in place)");
  check_close(tda.read(), back.da, {0, 0}, "add da");
  check_close(tdb.read(), plus(back.db, g0), {}, "add db (accumulate)");
  check_close(tda2.read(), plus(back.da, g0), {}, "add da (accumulate)");
  check_close(tdb2.read(), back.db, {0, 0}, "add db");
  check_close(tonly.read(), plus(back.db, g0), {}, "add db alone (accumulate)");
  check_close(tonly_a.read(), back.da, {0, 0}, "add da alone");
  check_close(tcopy.read(), to_double(dy), {0, 0}, "copy");
  check_close(tacc.read(), plus(to_double(dy), g0), {}, "accumulate");
  check_close(tscale.read(), plus(std::vector<double>(n, 0.0), dy, -0.5), {0, 0}, "scale");
}

}  // namespace

TEST_CASE("add: odd sizes and ResNet shapes match the reference") {
  check_add({1}, 1);
  check_add({3}, 2);
  check_add({65}, 3);
  check_add({2, 3, 5, 7}, 4);
  check_add({1, 256, 56, 56}, 5);  // ResNet-50 stage 1
  check_add({2, 2048, 7, 7}, 6);   // ResNet-50 stage 4
}

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
