// conv2d on the device: every case of graph/cases/ops/conv2d.cpp against the double-precision
// reference (forward with bias, residual and fused ReLU; backward data and weight/bias, plain
// and accumulating; tiny and odd shapes with both kernel variants, the AlexNet and ResNet
// layers at batch 1 on sampled elements), a batch larger than one binding, and refused inputs.
#include <algorithm>
#include <array>

#include "op_cases.h"
#include "reference/conv2d.h"
#include "vknn/ops/conv2d.h"

using namespace vknn;
using namespace vknn::test;

VKNN_CASES_ON_DEVICE(conv2d, ref::conv2d_case_outputs)

TEST_CASE("conv2d: a batch larger than one storage-buffer binding runs in chunks") {
  // x, y, dy, dx of 4 x 3001 x 3001 floats (144 MB; lavapipe binds at most 128 MiB): chunks of
  // 3 images and 1, the second starting at an offset that is not 16-byte aligned. Values in
  // {-1, 0, 1} with w = 0.75, b = 0.25 make every result, even the 36M-term dw, exact in fp32.
  // The forward adds dy as a residual (chunked like y).
  const int64_t n = 4, side = 3001;
  const Shape xs{n, 1, side, side};
  const size_t count = size_t(xs.numel()), per_image = count / size_t(n);
  std::vector<float> x(count), dy(count);
  std::mt19937 rng(71);
  for (size_t i = 0; i < count; ++i) x[i] = float(int(rng() % 3) - 1), dy[i] = float(int(rng() % 3) - 1);
  auto tx = make_tensor(xs, x), tdy = make_tensor(xs, dy), ty = make_tensor(xs), tdx = make_tensor(xs);
  auto tw = make_tensor({1, 1, 1, 1}, {0.75f}), tb = make_tensor({1}, {0.25f});
  auto tdw = make_tensor({1, 1, 1, 1}), tdb = make_tensor({1});
  const Conv2dParams p;
  auto bytes = conv2d_backward_weight_workspace_bytes(gpu(), p, xs, tw.shape);
  REQUIRE_OK(bytes);
  auto workspace = device_buffer_zeros(std::max<size_t>(1, size_t(*bytes / 4)));
  const TensorView bias = tb.view(), db = tdb.view();
  run_recorded([&](CommandList& cl) {
    const TensorView res = tdy.view();
    REQUIRE_OK(record_conv2d_forward(cl, p, tx.view(), tw.view(), &bias, ty.view(), &res));
    REQUIRE_OK(record_conv2d_backward_data(cl, p, tdy.view(), tw.view(), tdx.view(), false));
    REQUIRE_OK(record_conv2d_backward_weight(cl, p, tx.view(), tdy.view(), tdw.view(), &db, workspace.ref(), false));
  });
  double dw = 0, dbv = 0;
  for (size_t i = 0; i < count; ++i) dw += double(x[i]) * dy[i], dbv += dy[i];
  check_close(tdw.read(), {dw}, {0, 0}, "conv2d dw over chunks");
  check_close(tdb.read(), {dbv}, {0, 0}, "conv2d db over chunks");
  const auto y = ty.read();
  size_t bad_y = 0;
  for (size_t i = 0; i < count; ++i) bad_y += y[i] != 0.75f * x[i] + 0.25f + dy[i];
  CHECK_MESSAGE(bad_y == 0, bad_y << " wrong y values; image 3 starts at " << 3 * per_image);
  const auto dx = tdx.read();
  size_t bad_dx = 0;
  for (size_t i = 0; i < count; ++i) bad_dx += dx[i] != 0.75f * dy[i];
  CHECK_MESSAGE(bad_dx == 0, bad_dx << " wrong dx values");
}

namespace {

// One layer of the channel-slice tests: the shape, its flags and the kernel forced.
struct Case {
  ref::Conv2dShape s;
  bool bias = true, relu = false;
  Conv2dVariant variant = Conv2dVariant::automatic;
  bool residual = false;  // y = act(conv + bias + res)
};

const char* variant_name(Conv2dVariant v) {
  return v == Conv2dVariant::register_blocked ? "register" : v == Conv2dVariant::shared_tiled ? "shared" : "auto";
}

ref::Conv2dShape shape(int n, int c, int h, int w, int k, int r, int s, int stride = 1, int pad = 0, int groups = 1) {
  return {n, c, h, w, k, r, s, stride, stride, pad, pad, groups};
}

// Unflattens i into the 4 coordinates of shape (a, b, c, d).
std::array<int, 4> coords(size_t i, int b, int c, int d) {
  return {int(i / (size_t(b) * c * d)), int(i / (size_t(c) * d) % b), int(i / d % c), int(i % d)};
}

// The forward writing channels [offset, offset + K) of a wider (N, parent_channels, OH, OW)
// tensor (a concat's output written in place, optimize.h), against the reference; the other
// channels keep the values they held, exactly.
void check_forward_into_slice(const Case& cs, int64_t parent_channels, int64_t offset, uint32_t seed) {
  const ref::Conv2dShape& s = cs.s;
  CAPTURE(variant_name(cs.variant));
  CAPTURE(parent_channels);
  CAPTURE(offset);
  CAPTURE(cs.residual);
  const Conv2dParams p{s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.groups, cs.relu, cs.variant};
  const int oh = s.oh(), ow = s.ow();
  const Shape xs{s.n, s.c, s.h, s.w}, ws{s.k, s.c / s.groups, s.r, s.s}, ys{s.n, s.k, oh, ow}, bs{s.k};
  const Shape ps{s.n, parent_channels, oh, ow};
  const auto x = random_floats(s.x_size(), seed), w = random_floats(s.w_size(), seed + 1);
  const auto b = random_floats(size_t(s.k), seed + 2), res = random_floats(s.y_size(), seed + 3);
  const auto before = random_floats(size_t(ps.numel()), seed + 4, 5.0f, 6.0f);  // outside any result's range
  auto tx = make_tensor(xs, x), tw = make_tensor(ws, w), tb = make_tensor(bs, b), tres = make_tensor(ys, res);
  auto tp = make_tensor(ps, before);
  const TensorView y{tp.buffer.ref(0, ps.bytes()), ys, offset, parent_channels};
  const TensorView bias = tb.view(), residual = tres.view();
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_conv2d_forward(cl, p, tx.view(), tw.view(), cs.bias ? &bias : nullptr, y,
                                     cs.residual ? &residual : nullptr));
  });
  const ref::Vec rx = to_double(x), rw = to_double(w), rb = cs.bias ? to_double(b) : ref::Vec{};
  const auto got = tp.read();
  std::vector<float> slice_got, rest_got;
  std::vector<double> slice_want, rest_want;
  for (size_t i = 0; i < got.size(); ++i) {
    const auto [n, c, a, d] = coords(i, int(parent_channels), oh, ow);
    const int k = c - int(offset);
    if (k < 0 || k >= s.k) {
      rest_got.push_back(got[i]), rest_want.push_back(before[i]);
      continue;
    }
    const size_t yi = ((size_t(n) * s.k + size_t(k)) * oh + size_t(a)) * ow + size_t(d);
    const double v = ref::conv2d_forward_at(s, rx, rw, rb, n, k, a, d) + (cs.residual ? double(res[yi]) : 0.0);
    slice_got.push_back(got[i]), slice_want.push_back(cs.relu ? std::max(v, 0.0) : v);
  }
  check_close(slice_got, slice_want, {1e-4, 1e-4}, "conv2d y in its channel slice");
  check_close(rest_got, rest_want, {0, 0}, "conv2d: the parent's other channels untouched");
}

}  // namespace

TEST_CASE("conv2d: the forward writes a channel slice of a wider tensor (a concat written in place)") {
  for (auto v : {Conv2dVariant::register_blocked, Conv2dVariant::shared_tiled}) {
    Case cs{shape(2, 3, 7, 9, 5, 3, 3, 1, 1), true, true};
    cs.variant = v;
    check_forward_into_slice(cs, 11, 3, 101);  // a slice in the middle, batch 2
    check_forward_into_slice(cs, 5, 0, 102);   // the whole parent: the plain layout
    cs = {shape(2, 5, 7, 9, 7, 1, 1), false, false};  // 1x1 stride 1 (never on the GEMM path: y is a slice)
    cs.variant = v, cs.residual = true;
    check_forward_into_slice(cs, 13, 6, 103);  // the last channels, residual read contiguously
    cs = {shape(3, 6, 9, 9, 9, 3, 3, 2, 1, 3), true, false};  // stride 2, groups 3, batch 3
    cs.variant = v;
    check_forward_into_slice(cs, 17, 0, 104);  // the first channels
  }
}

TEST_CASE("conv2d: only y may be a channel slice") {
  auto x = make_tensor({2, 4, 5, 5}), w = make_tensor({6, 4, 3, 3}), wide = make_tensor({2, 9, 5, 5});
  auto y = make_tensor({2, 6, 3, 3}), res = make_tensor({2, 6, 3, 3});
  const TensorView x_slice{wide.buffer.ref(0, wide.shape.bytes()), x.shape, 2, 9};
  const TensorView res_slice{wide.buffer.ref(0, wide.shape.bytes()), res.shape, 3, 9};
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const Conv2dParams p;
  check_refused(record_conv2d_forward(*cl, p, x_slice, w.view(), nullptr, y.view()), "conv2d_forward",
                {"x", "(2,4,5,5) in channels [2,6) of 9", "contiguous"});
  check_refused(record_conv2d_forward(*cl, p, x.view(), w.view(), nullptr, y.view(), &res_slice), "conv2d_forward",
                {"residual", "channel slice"});
  const TensorView y_bad{wide.buffer.ref(0, wide.shape.bytes()), Shape{2, 6, 5, 5}, 4, 9};  // channels 4..10 of 9
  Conv2dParams pad1;
  pad1.pad_h = pad1.pad_w = 1;
  check_refused(record_conv2d_forward(*cl, pad1, x.view(), w.view(), nullptr, y_bad), "conv2d_forward",
                {"y", "not a channel slice"});
  check_refused(record_conv2d_backward_data(*cl, p, y.view(), w.view(), x_slice, false), "conv2d_backward_data",
                {"dx", "channel slice"});
}

TEST_CASE("conv2d: refused inputs name the op and the shapes") {
  auto x = make_tensor({1, 4, 5, 5}), w = make_tensor({6, 2, 3, 3}), y = make_tensor({1, 6, 3, 3});
  auto b = make_tensor({6}), bad_b = make_tensor({5}), bad_y = make_tensor({1, 6, 3, 4});
  auto x3 = make_tensor({4, 5, 5}), w5 = make_tensor({6, 2, 3, 3, 1}), x0 = make_tensor({1, 0, 5, 5});
  auto w0 = make_tensor({0, 2, 3, 3}), big_w = make_tensor({6, 2, 7, 7}), w_c = make_tensor({6, 3, 3, 3});
  auto cl = CommandList::create(gpu());
  REQUIRE_OK(cl);
  REQUIRE_OK(cl->begin());
  const Conv2dParams g2{1, 1, 0, 0, 2};
  const TensorView bv = b.view(), bad_bv = bad_b.view();
  const char* fwd = "conv2d_forward";
  const char* bwd_data = "conv2d_backward_data";
  const char* bwd_weight = "conv2d_backward_weight";

  // The valid call works (and is the baseline for every refusal below).
  REQUIRE_OK(record_conv2d_forward(*cl, g2, x.view(), w.view(), &bv, y.view()));
  const uint32_t dispatches = cl->dispatch_count();

  // Mismatched shapes.
  check_refused(record_conv2d_forward(*cl, g2, x.view(), w.view(), &bv, bad_y.view()), fwd,
                {"y", "(1,6,3,4)", "(1,6,3,3)", "(1,4,5,5)", "(6,2,3,3)"});
  check_refused(record_conv2d_forward(*cl, g2, x.view(), w.view(), &bad_bv, y.view()), fwd,
                {"bias", "(5)", "(6)", "(1,4,5,5)", "(6,2,3,3)"});
  const TensorView bad_res = bad_y.view(), same_as_y = y.view();
  check_refused(record_conv2d_forward(*cl, g2, x.view(), w.view(), &bv, y.view(), &bad_res), fwd,
                {"residual", "(1,6,3,4)", "(1,6,3,3)"});
  check_refused(record_conv2d_forward(*cl, g2, x.view(), w.view(), &bv, y.view(), &same_as_y), fwd,
                {"residual overlaps y", "(1,6,3,3)"});
  check_refused(record_conv2d_backward_data(*cl, g2, bad_y.view(), w.view(), x.view(), false), bwd_data,
                {"dy", "(1,6,3,4)", "(1,6,3,3)", "(1,4,5,5)", "(6,2,3,3)"});
  check_refused(record_conv2d_backward_weight(*cl, g2, x.view(), bad_y.view(), w.view(), nullptr, {}, false),
                bwd_weight, {"dy", "(1,6,3,4)", "(1,4,5,5)", "(6,2,3,3)"});
  check_refused(record_conv2d_backward_weight(*cl, g2, x.view(), y.view(), w.view(), &bad_bv, {}, true), bwd_weight,
                {"db", "(5)", "(1,4,5,5)", "(6,2,3,3)"});
  check_refused(record_conv2d_forward(*cl, Conv2dParams{}, x.view(), w.view(), &bv, y.view()), fwd,
                {"C/groups = 4", "(1,4,5,5)", "(6,2,3,3)"});  // w has C/2 channels without groups
  check_refused(record_conv2d_forward(*cl, g2, x.view(), w_c.view(), nullptr, y.view()), fwd,
                {"C/groups = 2", "(6,3,3,3)"});
  // Kernel larger than the padded input.
  check_refused(record_conv2d_forward(*cl, g2, x.view(), big_w.view(), nullptr, y.view()), fwd,
                {"larger than the padded input", "7x7", "5x5", "(1,4,5,5)", "(6,2,7,7)"});
  check_refused(record_conv2d_backward_data(*cl, g2, y.view(), big_w.view(), x.view(), false), bwd_data,
                {"larger than the padded input", "(6,2,7,7)"});
  // Zero sizes, zero or negative strides, negative padding.
  check_refused(record_conv2d_forward(*cl, g2, x0.view(), w.view(), nullptr, y.view()), fwd, {"positive", "(1,0,5,5)"});
  check_refused(record_conv2d_backward_weight(*cl, g2, x.view(), y.view(), w0.view(), nullptr, {}, false), bwd_weight,
                {"positive", "(0,2,3,3)"});
  for (const auto& stride : {std::pair{0, 1}, std::pair{1, -1}}) {
    const int sh = stride.first, sw = stride.second;  // not a structured binding: CAPTURE is a lambda (clang < 16)
    CAPTURE(sh);
    CAPTURE(sw);
    check_refused(record_conv2d_forward(*cl, Conv2dParams{sh, sw, 0, 0, 2}, x.view(), w.view(), nullptr, y.view()), fwd,
                  {"strides must be positive", "(1,4,5,5)", "(6,2,3,3)"});
  }
  check_refused(record_conv2d_backward_data(*cl, Conv2dParams{1, 1, -1, 0, 2}, y.view(), w.view(), x.view(), false),
                bwd_data, {"padding", "(1,4,5,5)", "(6,2,3,3)"});
  // Groups that do not divide C or K, or are not positive.
  for (int groups : {3, 4, 0, -2}) {
    CAPTURE(groups);
    check_refused(record_conv2d_forward(*cl, Conv2dParams{1, 1, 0, 0, groups}, x.view(), w.view(), nullptr, y.view()),
                  fwd, {"groups must divide C=4 and K=6", "(1,4,5,5)", "(6,2,3,3)"});
  }
  // Wrong ranks.
  check_refused(record_conv2d_forward(*cl, g2, x3.view(), w.view(), nullptr, y.view()), fwd, {"rank 4", "(4,5,5)"});
  check_refused(record_conv2d_backward_weight(*cl, g2, x.view(), y.view(), w5.view(), nullptr, {}, false), bwd_weight,
                {"rank 4", "(6,2,3,3,1)"});
  check_refused(conv2d_output_shape(g2, Shape{4, 5, 5}, Shape{6, 2, 3, 3}), "conv2d", {"rank 4", "(4,5,5)"});
  check_refused(conv2d_backward_weight_workspace_bytes(gpu(), Conv2dParams{1, 1, 0, 0, 3}, x.shape, w.shape),
                bwd_weight, {"groups", "(1,4,5,5)"});
  CHECK(cl->dispatch_count() == dispatches);

  // A weight gradient that needs a workspace refuses a missing, small or overlapping one.
  auto lx = make_tensor({2, 2, 40, 48}), lw = make_tensor({4, 2, 3, 3}), ly = make_tensor({2, 4, 40, 48});
  const Conv2dParams pad1{1, 1, 1, 1};
  auto bytes = conv2d_backward_weight_workspace_bytes(gpu(), pad1, lx.shape, lw.shape);
  REQUIRE_OK(bytes);
  REQUIRE(*bytes > 0);
  auto small = device_buffer_zeros(size_t(*bytes / 4) - 1);
  check_refused(record_conv2d_backward_weight(*cl, pad1, lx.view(), ly.view(), lw.view(), nullptr, {}, false),
                bwd_weight, {"workspace", std::to_string(*bytes), "(2,2,40,48)", "(4,2,3,3)"});
  check_refused(record_conv2d_backward_weight(*cl, pad1, lx.view(), ly.view(), lw.view(), nullptr, small.ref(), false),
                bwd_weight, {"workspace", std::to_string(*bytes)});
  check_refused(
      record_conv2d_backward_weight(*cl, pad1, lx.view(), ly.view(), lw.view(), nullptr, ly.buffer.ref(), false),
      bwd_weight, {"workspace overlaps"});
  // On a driver with a loop limit (lavapipe) a layer whose shader loops would run past it
  // is refused as unsupported rather than silently cut short (70000 channels: past the limit
  // for the GEMM path of 1x1 convolutions too, whose loop runs once per channel).
  if (gpu().profile().loop_limit != 0) {
    auto wide_x = make_tensor({1, 70000, 1, 1}), wide_w = make_tensor({2, 70000, 1, 1}),
         wide_y = make_tensor({1, 2, 1, 1});
    auto s = record_conv2d_forward(*cl, Conv2dParams{}, wide_x.view(), wide_w.view(), nullptr, wide_y.view());
    REQUIRE(!s.ok());
    CHECK(s.error().code == Errc::unsupported);
    CHECK_MESSAGE(s.error().message.find("(1,70000,1,1)") != std::string::npos, s.error().message);
  }
  CHECK(cl->dispatch_count() == dispatches);
  REQUIRE_OK(cl->end());
}
