// Average pooling (2-D and global) on the device against the double-precision reference:
// both divisor modes, the gathered backward (plain and accumulating), AlexNet/ResNet
// shapes, and refused inputs.
#include "gpu.h"
#include "reference/avgpool.h"

#include "vknn/ops/avgpool.h"

using namespace vknn;
using namespace vknn::test;

namespace {

void check_avgpool(const AvgPool2dParams& p, Shape shape, uint32_t seed) {
  CAPTURE(shape.str());
  CAPTURE(p.kernel_h);
  CAPTURE(p.stride_h);
  CAPTURE(p.pad_h);
  CAPTURE(p.count_include_pad);
  CAPTURE(p.ceil_mode);
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const ref::Pool2dParams rp{p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.ceil_mode};
  const Shape out{n, c, rp.out_h(h), rp.out_w(w)};
  const auto x = random_floats(size_t(shape.numel()), seed, -2, 2);
  const auto dy = random_floats(size_t(out.numel()), seed + 1);
  const auto dx0 = random_floats(size_t(shape.numel()), seed + 2);
  const auto y = ref::avgpool_forward(rp, p.count_include_pad, n, c, h, w, to_double(x));
  const auto dx = ref::avgpool_backward(rp, p.count_include_pad, n, c, h, w, to_double(dy));

  auto tx = make_tensor(shape, x), ty = make_tensor(out), tdy = make_tensor(out, dy);
  auto tdx = make_tensor(shape), tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_avgpool_forward(cl, p, tx.view(), ty.view()));
    REQUIRE_OK(record_avgpool_backward(cl, p, tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_avgpool_backward(cl, p, tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), y, {}, "avgpool y");
  check_close(tdx.read(), dx, {}, "avgpool dx");
  check_close(tdx_acc.read(), plus(dx, dx0), {}, "avgpool dx (accumulate)");
}

void check_global(Shape shape, bool flat, uint32_t seed) {
  CAPTURE(shape.str());
  CAPTURE(flat);
  const int n = int(shape[0]), c = int(shape[1]), h = int(shape[2]), w = int(shape[3]);
  const Shape out = flat ? Shape{n, c} : Shape{n, c, 1, 1};
  const auto x = random_floats(size_t(shape.numel()), seed, -2, 2);
  const auto dy = random_floats(size_t(out.numel()), seed + 1);
  const auto dx0 = random_floats(size_t(shape.numel()), seed + 2);
  const auto y = ref::global_avgpool_forward(n, c, h, w, to_double(x));
  const auto dx = ref::global_avgpool_backward(n, c, h, w, to_double(dy));

  auto tx = make_tensor(shape, x), ty = make_tensor(out), tdy = make_tensor(out, dy);
  auto tdx = make_tensor(shape), tdx_acc = make_tensor(shape, dx0);
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_global_avgpool_forward(cl, tx.view(), ty.view()));
    REQUIRE_OK(record_global_avgpool_backward(cl, tdy.view(), tdx.view(), false));
    REQUIRE_OK(record_global_avgpool_backward(cl, tdy.view(), tdx_acc.view(), true));
  });
  check_close(ty.read(), y, {}, "global avgpool y");
  check_close(tdx.read(), dx, {}, "global avgpool dx");
  check_close(tdx_acc.read(), plus(dx, dx0), {}, "global avgpool dx (accumulate)");
}

AvgPool2dParams avg(int k, int s, int pad, bool include_pad) {
  AvgPool2dParams p;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_h = p.pad_w = pad;
  p.count_include_pad = include_pad;
  return p;
}

}  // namespace

TEST_CASE("avgpool: tiny and odd shapes in both divisor modes match the reference") {
  for (bool include_pad : {true, false}) {
    CAPTURE(include_pad);
    check_avgpool(avg(1, 1, 0, include_pad), {1, 1, 1, 1}, 1);
    check_avgpool(avg(3, 2, 1, include_pad), {1, 1, 1, 1}, 2);
    check_avgpool(avg(3, 2, 1, include_pad), {2, 3, 7, 9}, 3);
    check_avgpool(avg(3, 1, 1, include_pad), {1, 3, 5, 6}, 4);
    check_avgpool(avg(2, 2, 0, include_pad), {2, 3, 5, 7}, 5);
    AvgPool2dParams rect = avg(3, 1, 1, include_pad);
    rect.kernel_w = 2, rect.stride_w = 3, rect.pad_w = 0;
    check_avgpool(rect, {1, 2, 6, 10}, 6);
  }
}

TEST_CASE("avgpool: ceil mode's clipped last windows in both divisor modes match the reference") {
  for (bool include_pad : {true, false}) {
    CAPTURE(include_pad);
    for (int k : {2, 3})
      for (int pad : {0, 1}) {
        AvgPool2dParams p = avg(k, 2, pad, include_pad);
        p.ceil_mode = true;
        check_avgpool(p, {1, 1, 3, 3}, 31);
        check_avgpool(p, {2, 3, 5, 8}, 32);
        check_avgpool(p, {1, 2, 6, 7}, 33);
      }
    AvgPool2dParams wide = avg(3, 3, 1, include_pad);  // a window that would start in the padding is dropped
    wide.ceil_mode = true;
    check_avgpool(wide, {1, 2, 5, 7}, 34);
  }
  AvgPool2dParams real = avg(3, 2, 1, true);
  real.ceil_mode = true;
  check_avgpool(real, {1, 64, 56, 56}, 35);
}

TEST_CASE("avgpool: AlexNet-style pools 55->27, 27->13, 13->6 and a padded ResNet-style pool") {
  check_avgpool(avg(3, 2, 0, true), {1, 96, 55, 55}, 21);
  check_avgpool(avg(3, 2, 0, true), {2, 256, 27, 27}, 22);
  check_avgpool(avg(3, 2, 0, false), {2, 256, 13, 13}, 23);
  check_avgpool(avg(3, 2, 1, false), {1, 64, 112, 112}, 24);
}

TEST_CASE("avgpool: global average pooling, tiny shapes and ResNet heads") {
  check_global({1, 1, 1, 1}, true, 1);
  check_global({1, 3, 1, 1}, false, 2);
  check_global({3, 5, 3, 4}, true, 3);
  check_global({2, 2048, 7, 7}, true, 4);   // ResNet-50 at 224: 7x7 -> 1
  check_global({2, 512, 7, 7}, false, 5);   // ResNet-18/34
  check_global({2, 64, 8, 8}, true, 6);     // CIFAR ResNets: 8x8 -> 1
}

TEST_CASE("avgpool: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 2, 5, 5}), y = make_tensor({1, 2, 2, 2}), bad = make_tensor({1, 2, 3, 2});
  auto pooled = make_tensor({1, 2}), pooled_bad = make_tensor({1, 3}), empty = make_tensor({0, 2, 5, 5});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const AvgPool2dParams p = avg(3, 2, 0, true);
  check_refused(record_avgpool_forward(*cl, p, x.view(), bad.view()), "avgpool_forward",
                {"y", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_avgpool_forward(*cl, avg(6, 1, 0, true), x.view(), y.view()), "avgpool_forward",
                {"larger than the padded input", "(1,2,5,5)"});
  check_refused(record_avgpool_forward(*cl, avg(3, 1, 2, true), x.view(), y.view()), "avgpool_forward",
                {"pad 2x2", "3x3"});
  check_refused(record_avgpool_forward(*cl, p, empty.view(), y.view()), "avgpool_forward", {"(0,2,5,5)"});
  check_refused(record_avgpool_backward(*cl, p, bad.view(), x.view(), false), "avgpool_backward",
                {"dy", "(1,2,3,2)", "(1,2,2,2)"});
  check_refused(record_global_avgpool_forward(*cl, x.view(), pooled_bad.view()), "global_avgpool_forward",
                {"(1,3)", "(1,2)", "(1,2,1,1)", "(1,2,5,5)"});
  check_refused(record_global_avgpool_forward(*cl, x.view(), y.view()), "global_avgpool_forward", {"(1,2,2,2)"});
  check_refused(record_global_avgpool_forward(*cl, pooled.view(), pooled.view()), "global_avgpool_forward",
                {"rank 4", "(1,2)"});
  check_refused(record_global_avgpool_backward(*cl, pooled_bad.view(), x.view(), true), "global_avgpool_backward",
                {"dy", "(1,3)"});
  check_refused(record_global_avgpool_backward(*cl, pooled.view(), empty.view(), false), "global_avgpool_backward",
                {"(0,2,5,5)"});
  CHECK(cl->dispatch_count() == 0);
  REQUIRE_OK(cl->end());
}
