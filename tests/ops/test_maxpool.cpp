// Max pooling on the device against the double-precision reference: values, the exact
// argmax (tie rule included), the gathered backward (plain and accumulating), AlexNet and
// ResNet layer shapes, and refused inputs.
#include "gpu.h"
#include "reference/maxpool.h"

#include "vknn/ops/maxpool.h"

#include <cmath>
#include <cstring>

using namespace vknn;
using namespace vknn::test;

namespace {

std::vector<int32_t> as_int(const std::vector<float>& v) {
  std::vector<int32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * 4);
  return out;
}

// quantize > 0: inputs rounded to multiples of 1/quantize, so that windows hold many ties.
void check_maxpool(const Pool2dParams& p, Shape shape, uint32_t seed, float quantize = 0) {
  CAPTURE(shape.str());
  CAPTURE(p.kernel_h);
  CAPTURE(p.stride_h);
  CAPTURE(p.pad_h);
  CAPTURE(p.ceil_mode);
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const ref::Pool2dParams rp{p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.ceil_mode};
  const Shape out{n, c, rp.out_h(h), rp.out_w(w)};
  auto x = random_floats(size_t(shape.numel()), seed, -2, 2);
  if (quantize > 0)
    for (auto& v : x) v = std::round(v * quantize) / quantize;
  const auto dy = random_floats(size_t(out.numel()), seed + 1);
  const auto dx0 = random_floats(size_t(shape.numel()), seed + 2);

  const auto f = ref::maxpool_forward(rp, n, c, h, w, to_double(x));
  const auto dx = ref::maxpool_backward(rp, n, c, h, w, f.argmax, to_double(dy));
  std::vector<double> dx_acc(dx.size());
  for (size_t i = 0; i < dx.size(); ++i) dx_acc[i] = dx[i] + dx0[i];

  auto tx = make_tensor(shape, x), ty = make_tensor(out), targ = make_tensor(out), tdy = make_tensor(out, dy);
  auto tdx = make_tensor(shape), tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_maxpool_forward(cl, p, tx.view(), ty.view(), targ.view()));
    REQUIRE_OK(record_maxpool_backward(cl, p, targ.view(), tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_maxpool_backward(cl, p, targ.view(), tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), f.y, {0, 0}, "maxpool y");  // a maximum is exact
  const auto arg = as_int(targ.read());
  size_t wrong = 0;
  for (size_t i = 0; i < arg.size(); ++i) wrong += arg[i] != f.argmax[i];
  CHECK_MESSAGE(wrong == 0, wrong << " of " << arg.size() << " argmax indices differ");
  check_close(tdx.read(), dx, {}, "maxpool dx");
  check_close(tdx_acc.read(), dx_acc, {}, "maxpool dx (accumulate)");
}

}  // namespace

TEST_CASE("maxpool: tiny and odd shapes match the reference") {
  check_maxpool({1, 1, 1, 1}, {1, 1, 1, 1}, 1);
  check_maxpool({1, 1, 1, 1}, {1, 3, 2, 3}, 2);
  check_maxpool({3, 3, 1, 1, 1, 1}, {1, 1, 1, 1}, 3);  // a 1x1 image, padded: the element itself
  check_maxpool({3, 3, 2, 2}, {2, 3, 7, 9}, 4);
  check_maxpool({3, 3, 2, 2, 1, 1}, {1, 3, 5, 6}, 5);
  check_maxpool({2, 2, 2, 2}, {2, 3, 5, 7}, 6);
  check_maxpool({3, 2, 1, 3, 1, 1}, {1, 2, 6, 10}, 7);
  check_maxpool({5, 5, 3, 3, 2, 2}, {1, 1, 17, 13}, 8);
}

Pool2dParams ceil(Pool2dParams p) {
  p.ceil_mode = true;
  return p;
}

TEST_CASE("maxpool: ceil mode's clipped last windows match the reference") {
  check_maxpool(ceil({3, 3, 2, 2, 1, 1}), {1, 1, 1, 1}, 41);
  check_maxpool(ceil({2, 2, 2, 2}), {2, 3, 5, 7}, 42);         // last row and column of one element
  check_maxpool(ceil({3, 3, 2, 2}), {1, 2, 8, 6}, 43);
  check_maxpool(ceil({3, 3, 2, 2, 1, 1}), {1, 3, 6, 9}, 44);
  check_maxpool(ceil({3, 3, 3, 3, 1, 1}), {1, 2, 5, 7}, 45);   // a window that would start in the padding is dropped
  check_maxpool(ceil({3, 2, 2, 3, 1, 1}), {1, 2, 10, 11}, 46);
  check_maxpool(ceil({3, 3, 2, 2}), {2, 4, 13, 12}, 47, 1.0f);  // ties
}

TEST_CASE("maxpool: GoogLeNet's ceil-mode pools 112->56, 56->28, 28->14, 14->7") {
  check_maxpool(ceil({3, 3, 2, 2}), {1, 64, 112, 112}, 51);
  check_maxpool(ceil({3, 3, 2, 2}), {2, 192, 56, 56}, 52);
  check_maxpool(ceil({3, 3, 2, 2}), {1, 480, 28, 28}, 53);
  check_maxpool(ceil({2, 2, 2, 2}), {2, 832, 14, 14}, 54);
  check_maxpool(ceil({3, 3, 1, 1, 1, 1}), {1, 192, 28, 28}, 55);  // an inception pool branch: no size change
}

TEST_CASE("maxpool: ties go to the first maximum, padding never wins") {
  // Equal values: each window's first in-bounds element wins and takes all its gradient.
  const Pool2dParams p{2, 2, 1, 1};
  auto tx = make_tensor({1, 1, 3, 3}, std::vector<float>(9, 1.0f)), ty = make_tensor({1, 1, 2, 2});
  auto targ = make_tensor({1, 1, 2, 2}), tdy = make_tensor({1, 1, 2, 2}, {1, 2, 3, 4}), tdx = make_tensor({1, 1, 3, 3});
  // All negative with padding: a padded zero must not win.
  const Pool2dParams pp{3, 3, 2, 2, 1, 1};
  auto nx = make_tensor({1, 1, 4, 4}, std::vector<float>(16, -5.0f)), ny = make_tensor({1, 1, 2, 2});
  auto narg = make_tensor({1, 1, 2, 2});
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_maxpool_forward(cl, p, tx.view(), ty.view(), targ.view()));
    REQUIRE_OK(record_maxpool_backward(cl, p, targ.view(), tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_maxpool_forward(cl, pp, nx.view(), ny.view(), narg.view()));
  });
  CHECK(as_int(targ.read()) == std::vector<int32_t>{0, 1, 3, 4});
  CHECK(tdx.read() == std::vector<float>{1, 2, 0, 3, 4, 0, 0, 0, 0});
  CHECK(ny.read() == std::vector<float>(4, -5.0f));
  CHECK(as_int(narg.read()) == std::vector<int32_t>{0, 1, 4, 5});
  // Many ties in random data: the argmax must agree with the reference exactly.
  check_maxpool({3, 3, 2, 2}, {2, 4, 13, 13}, 9, 2.0f);
  check_maxpool({3, 3, 2, 2, 1, 1}, {1, 4, 12, 11}, 10, 1.0f);
}

TEST_CASE("maxpool: AlexNet pools 55->27, 27->13, 13->6") {
  const Pool2dParams p{3, 3, 2, 2};
  check_maxpool(p, {1, 96, 55, 55}, 21);
  check_maxpool(p, {2, 256, 27, 27}, 22);
  check_maxpool(p, {2, 256, 13, 13}, 23);
}

TEST_CASE("maxpool: ResNet stem pool 112->56 with 64 channels") {
  check_maxpool({3, 3, 2, 2, 1, 1}, {2, 64, 112, 112}, 31);
}

TEST_CASE("maxpool: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 2, 2, 2}), bad = make_tensor({1, 2, 3, 2});
  auto flat = make_tensor({2, 25}), empty = make_tensor({1, 2, 0, 5});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const Pool2dParams p{3, 3, 2, 2};
  check_refused(record_maxpool_forward(*cl, p, x.view(), bad.view(), y.view()), "maxpool_forward",
                {"y", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_maxpool_forward(*cl, p, x.view(), y.view(), bad.view()), "maxpool_forward",
                {"argmax", "(1,2,3,2)"});
  check_refused(record_maxpool_forward(*cl, p, flat.view(), y.view(), y.view()), "maxpool_forward", {"(2,25)"});
  check_refused(record_maxpool_forward(*cl, p, empty.view(), y.view(), y.view()), "maxpool_forward", {"(1,2,0,5)"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{7, 7, 1, 1, 0, 0}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"larger than the padded input", "7x7", "5x5", "(1,2,5,5)"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{8, 8, 1, 1, 1, 1}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"larger than the padded input", "8x8", "7x7"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{3, 3, 2, 2, 2, 2}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"pad 2x2", "3x3", "(1,2,5,5)"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{3, 3, 0, 2}, x.view(), y.view(), y.view()),
                "maxpool_forward", {"stride 0x2"});
  check_refused(record_maxpool_forward(*cl, Pool2dParams{}, x.view(), y.view(), y.view()), "maxpool_forward",
                {"kernel 0x0"});
  check_refused(record_maxpool_backward(*cl, p, y.view(), bad.view(), x.view(), false), "maxpool_backward",
                {"dy", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_maxpool_backward(*cl, p, bad.view(), y.view(), x.view(), true), "maxpool_backward",
                {"argmax", "(1,2,3,2)"});
  check_refused(record_maxpool_backward(*cl, p, y.view(), y.view(), bad.view(), false), "maxpool_backward",
                {"larger than the padded input", "(1,2,3,2)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
