// conv2d forward with fp16 storage (conv2d_forward_register_f16) against the double-precision
// reference on the fp32 inputs: x, w, bias and the residual are cast to fp16 on the device, the
// convolution sums in fp32 and stores y in fp16, which is cast back. The error is that of
// rounding the operands and the result to 11 bits, so the whole output must agree within
// 1e-2 relative in the 2-norm, and every element within 2e-2 of the output's largest
// magnitude. Odd shapes with bias, ReLU and residual; y as a channel slice; the ResNet-18 layers.
#include "gpu.h"
#include "reference/conv2d.h"
#include "vknn/engine/dispatch_trace.h"
#include "vknn/ops/cast.h"
#include "vknn/ops/conv2d.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

using namespace vknn;
using namespace vknn::test;

namespace {

struct HalfCase {
  ref::Conv2dShape s;
  bool bias = true, relu = false, residual = false;
  // > 0: y is channels [slice_before, slice_before + K) of a zero-filled fp16 tensor with
  // slice_after more channels (a concat written in place); the others must stay zero.
  int64_t slice_before = 0, slice_after = 0;
};

TensorView half(const DeviceTensor& t) { return {.buffer = t.view().buffer, .shape = t.view().shape, .dtype = DType::f16}; }

void check_conv_f16(const HalfCase& cs, uint32_t seed) {
  const ref::Conv2dShape& s = cs.s;
  const std::string what = fmt::format("x ({},{},{},{}) w ({},{},{},{}) stride {} pad {} groups {}{}{}{}", s.n, s.c,
                                       s.h, s.w, s.k, s.c / s.groups, s.r, s.s, s.stride_h, s.pad_h, s.groups,
                                       cs.bias ? " bias" : "", cs.relu ? " relu" : "", cs.residual ? " residual" : "");
  CAPTURE(what);
  const Conv2dParams p{s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.groups, cs.relu, Conv2dVariant::automatic};
  const Shape xs{s.n, s.c, s.h, s.w}, ws{s.k, s.c / s.groups, s.r, s.s}, ys{s.n, s.k, s.oh(), s.ow()}, bs{s.k};
  const auto x = random_floats(s.x_size(), seed), w = random_floats(s.w_size(), seed + 1);
  const auto b = random_floats(size_t(s.k), seed + 2), res = random_floats(s.y_size(), seed + 3);
  // fp32 operands, their fp16 copies (zero-filled fp32 tensors are big enough), and y.
  auto tx = make_tensor(xs, x), tw = make_tensor(ws, w), tb = make_tensor(bs, b), tres = make_tensor(ys, res);
  const bool sliced = cs.slice_before + cs.slice_after > 0;
  const Shape ps{s.n, cs.slice_before + s.k + cs.slice_after, s.oh(), s.ow()};  // y's parent when sliced
  auto hx = make_tensor(xs), hw = make_tensor(ws), hb = make_tensor(bs), hres = make_tensor(ys);
  auto hy = make_tensor(sliced ? ps : ys), ty = make_tensor(sliced ? ps : ys);
  const TensorView hb_view = half(hb), hres_view = half(hres);
  TensorView hy_view = half(hy);
  if (sliced)
    hy_view = {.buffer = hy.view().buffer, .shape = ys, .channel_offset = cs.slice_before, .parent_channels = ps[1],
               .dtype = DType::f16};
  DispatchTrace trace;
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_cast(cl, tx.view(), half(hx)));
    REQUIRE_OK(record_cast(cl, tw.view(), half(hw)));
    REQUIRE_OK(record_cast(cl, tb.view(), half(hb)));
    REQUIRE_OK(record_cast(cl, tres.view(), half(hres)));
    REQUIRE_OK(record_conv2d_forward(cl, p, half(hx), half(hw), cs.bias ? &hb_view : nullptr, hy_view,
                                     cs.residual ? &hres_view : nullptr));
    REQUIRE_OK(record_cast(cl, half(hy), ty.view()));
  });
  CHECK(std::count(trace.shaders().begin(), trace.shaders().end(), ShaderId::conv2d_forward_register_f16) >= 1);

  ref::Vec want = ref::conv2d_forward(s, to_double(x), to_double(w), cs.bias ? to_double(b) : ref::Vec{});
  for (size_t i = 0; i < want.size(); ++i) {
    if (cs.residual) want[i] += res[i];
    if (cs.relu) want[i] = std::max(want[i], 0.0);
  }
  const std::vector<float> whole = ty.read();
  std::vector<float> got = whole;
  if (sliced) {  // y's channels out of the parent; every other channel still zero
    const size_t plane = size_t(s.oh() * s.ow());
    got.assign(want.size(), 0.0f);
    size_t others_nonzero = 0;
    for (size_t n = 0; n < size_t(s.n); ++n)
      for (size_t c = 0; c < size_t(ps[1]); ++c) {
        const bool mine = c >= size_t(cs.slice_before) && c < size_t(cs.slice_before + s.k);
        for (size_t j = 0; j < plane; ++j) {
          const float v = whole[(n * size_t(ps[1]) + c) * plane + j];
          if (mine) got[(n * size_t(s.k) + c - size_t(cs.slice_before)) * plane + j] = v;
          else others_nonzero += v != 0.0f;
        }
      }
    CHECK(others_nonzero == 0);
  }
  double err2 = 0, norm2 = 0, worst = 0, largest = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double e = double(got[i]) - want[i];
    err2 += e * e, norm2 += want[i] * want[i];
    worst = std::max(worst, std::abs(e)), largest = std::max(largest, std::abs(want[i]));
  }
  const double rel = std::sqrt(err2 / std::max(norm2, 1e-30));
  CAPTURE(rel);
  CAPTURE(worst);
  CAPTURE(largest);
  CHECK(rel <= 1e-2);
  CHECK(worst <= 2e-2 * largest);
  // Rounding to fp16 does change the result: the check above is not comparing fp32 with itself.
  CHECK(rel > 0);
}

ref::Conv2dShape shape(int n, int c, int h, int w, int k, int r, int s, int stride = 1, int pad = 0, int groups = 1) {
  return {n, c, h, w, k, r, s, stride, stride, pad, pad, groups};
}

}  // namespace

TEST_CASE("conv2d fp16: odd shapes with bias, ReLU, residual, strides and groups") {
  check_conv_f16({shape(1, 1, 1, 1, 1, 1, 1), true}, 1);
  check_conv_f16({shape(2, 3, 7, 9, 5, 3, 3, 1, 1), true, true}, 2);
  check_conv_f16({shape(2, 3, 7, 9, 5, 3, 3, 2, 1), false, false, true}, 3);
  check_conv_f16({shape(1, 6, 5, 11, 20, 3, 3, 1, 1), true, true, true}, 4);
  check_conv_f16({shape(2, 4, 9, 8, 6, 3, 3, 2, 1, 2), true}, 5);
  check_conv_f16({shape(1, 5, 6, 7, 17, 1, 1, 1, 0), true, false, true}, 6);
}

TEST_CASE("conv2d fp16: y as a channel slice of a larger tensor (a concat written in place)") {
  HalfCase a{shape(2, 3, 7, 9, 5, 3, 3, 1, 1), true, true};
  a.slice_before = 3, a.slice_after = 2;
  check_conv_f16(a, 21);
  HalfCase b{shape(1, 5, 6, 7, 7, 1, 1, 1, 0), true, false, true};  // the first channels, with a residual
  b.slice_after = 4;
  check_conv_f16(b, 22);
  HalfCase c{shape(1, 16, 13, 13, 64, 1, 1, 1, 0), true, true};     // a SqueezeNet fire module: expand1x1, channels [0,64) of 128
  c.slice_after = 64;
  check_conv_f16(c, 23);
  HalfCase d{shape(1, 16, 13, 13, 64, 3, 3, 1, 1), true, true};     // and its expand3x3, channels [64,128)
  d.slice_before = 64;
  check_conv_f16(d, 24);
}

TEST_CASE("conv2d fp16: the ResNet-18 layers (stem, 3x3, strided 3x3, 1x1 projection)") {
  check_conv_f16({shape(1, 3, 224, 224, 64, 7, 7, 2, 3), true, true}, 11);
  check_conv_f16({shape(1, 64, 56, 56, 64, 3, 3, 1, 1), true, true, true}, 12);
  check_conv_f16({shape(1, 64, 56, 56, 128, 3, 3, 2, 1), true, true}, 13);
  check_conv_f16({shape(1, 64, 56, 56, 128, 1, 1, 2, 0), true}, 14);
  check_conv_f16({shape(1, 512, 7, 7, 512, 3, 3, 1, 1), true, true, true}, 15);
}

TEST_CASE("conv2d fp16: mixed storage types are refused, naming the tensor") {
  auto x = make_tensor({1, 2, 3, 3}), w = make_tensor({2, 2, 1, 1}), y = make_tensor({1, 2, 3, 3});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  check_refused(record_conv2d_forward(*cl, {}, half(x), w.view(), nullptr, half(y)), "conv2d_forward",
                {"w", "f32", "expected f16"});
  check_refused(record_conv2d_forward(*cl, {}, x.view(), w.view(), nullptr, half(y)), "conv2d_forward",
                {"y", "f16", "expected f32"});
}
