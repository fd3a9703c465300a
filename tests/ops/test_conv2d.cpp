// conv2d on the device against the double-precision reference: forward (bias, a residual
// added in the epilogue, fused ReLU),
// backward data and backward weight/bias (plain and accumulating), for tiny and odd
// shapes with both kernel variants, the AlexNet and ResNet layer shapes at batch 1 (checked
// on a random subset of elements), and refused inputs.
#include <algorithm>
#include <cmath>

#include "gpu.h"
#include "reference/conv2d.h"
#include "vknn/ops/conv2d.h"

using namespace vknn;
using namespace vknn::test;

namespace {

struct Case {
  ref::Conv2dShape s;
  bool bias = true, relu = false, accumulate = false;
  Conv2dVariant variant = Conv2dVariant::automatic;
  bool residual = false;  // forward: y = act(conv + bias + res)
};

const char* variant_name(Conv2dVariant v) {
  return v == Conv2dVariant::register_blocked ? "register" : v == Conv2dVariant::shared_tiled ? "shared" : "auto";
}

// Flat indices into a tensor of `count` elements to compare: all of them when `full`,
// else the first, the last and `samples` random ones.
std::vector<size_t> pick(size_t count, bool full, uint32_t seed, size_t samples = 192) {
  std::vector<size_t> idx;
  if (full || count <= samples + 2) {
    idx.resize(count);
    for (size_t i = 0; i < count; ++i) idx[i] = i;
    return idx;
  }
  std::mt19937 rng(seed);
  idx = {0, count - 1};
  for (size_t i = 0; i < samples; ++i) idx.push_back(rng() % count);
  return idx;
}

// Unflattens i into the 4 coordinates of shape (a, b, c, d).
std::array<int, 4> coords(size_t i, int b, int c, int d) {
  return {int(i / (size_t(b) * c * d)), int(i / (size_t(c) * d) % b), int(i / d % c), int(i % d)};
}

std::vector<float> gather(const std::vector<float>& v, const std::vector<size_t>& idx) {
  std::vector<float> out(idx.size());
  for (size_t i = 0; i < idx.size(); ++i) out[i] = v[idx[i]];
  return out;
}

// Runs forward, backward data and backward weight (+ bias) for one case and compares with
// the reference: every element when `full`, else a random subset.
void check_conv(const Case& cs, uint32_t seed, bool full) {
  const ref::Conv2dShape& s = cs.s;
  CAPTURE(variant_name(cs.variant));
  CAPTURE(s.n);
  CAPTURE(s.c);
  CAPTURE(s.h);
  CAPTURE(s.w);
  CAPTURE(s.k);
  CAPTURE(s.r);
  CAPTURE(s.s);
  CAPTURE(s.stride_h);
  CAPTURE(s.stride_w);
  CAPTURE(s.pad_h);
  CAPTURE(s.pad_w);
  CAPTURE(s.groups);
  CAPTURE(cs.bias);
  CAPTURE(cs.relu);
  CAPTURE(cs.accumulate);
  CAPTURE(cs.residual);
  const Conv2dParams p{s.stride_h, s.stride_w, s.pad_h, s.pad_w, s.groups, cs.relu, cs.variant};
  const Shape xs{s.n, s.c, s.h, s.w}, ws{s.k, s.c / s.groups, s.r, s.s}, ys{s.n, s.k, s.oh(), s.ow()}, bs{s.k};
  auto ys_got = conv2d_output_shape(p, xs, ws);
  REQUIRE_OK(ys_got);
  REQUIRE(*ys_got == ys);

  const auto x = random_floats(s.x_size(), seed), w = random_floats(s.w_size(), seed + 1);
  const auto b = random_floats(size_t(s.k), seed + 2), dy = random_floats(s.y_size(), seed + 3);
  const auto dx0 = random_floats(s.x_size(), seed + 4), dw0 = random_floats(s.w_size(), seed + 5);
  const auto db0 = random_floats(size_t(s.k), seed + 6);
  const auto res = random_floats(s.y_size(), seed + 10);

  auto tx = make_tensor(xs, x), tw = make_tensor(ws, w), tb = make_tensor(bs, b), ty = make_tensor(ys);
  auto tres = make_tensor(ys, res);
  auto tdy = make_tensor(ys, dy), tdx = cs.accumulate ? make_tensor(xs, dx0) : make_tensor(xs);
  auto tdw = cs.accumulate ? make_tensor(ws, dw0) : make_tensor(ws);
  auto tdb = cs.accumulate ? make_tensor(bs, db0) : make_tensor(bs);
  auto workspace_bytes = conv2d_backward_weight_workspace_bytes(gpu(), p, xs, ws);
  REQUIRE_OK(workspace_bytes);
  Buffer workspace;
  if (*workspace_bytes > 0) workspace = device_buffer_zeros(size_t(*workspace_bytes / 4));
  const TensorView bias_view = tb.view(), db_view = tdb.view(), res_view = tres.view();
  run_recorded([&](CommandList& cl) {
    REQUIRE_OK(record_conv2d_forward(cl, p, tx.view(), tw.view(), cs.bias ? &bias_view : nullptr, ty.view(),
                                     cs.residual ? &res_view : nullptr));
    REQUIRE_OK(record_conv2d_backward_data(cl, p, tdy.view(), tw.view(), tdx.view(), cs.accumulate));
    REQUIRE_OK(record_conv2d_backward_weight(cl, p, tx.view(), tdy.view(), tdw.view(), cs.bias ? &db_view : nullptr,
                                             *workspace_bytes > 0 ? workspace.ref() : BufferRef{}, cs.accumulate));
  });

  const ref::Vec rx = to_double(x), rw = to_double(w), rdy = to_double(dy);
  const ref::Vec rb = cs.bias ? to_double(b) : ref::Vec{};
  const int cg = s.c / s.groups, oh = s.oh(), ow = s.ow();

  // Forward: a sum of C/G*R*S products of values in [-1, 1].
  const auto yi = pick(s.y_size(), full, seed + 7);
  std::vector<double> y_want(yi.size());
  for (size_t i = 0; i < yi.size(); ++i) {
    const auto [n, k, a, c] = coords(yi[i], s.k, oh, ow);
    const double v = ref::conv2d_forward_at(s, rx, rw, rb, n, k, a, c) + (cs.residual ? double(res[yi[i]]) : 0.0);
    y_want[i] = cs.relu ? std::max(v, 0.0) : v;
  }
  check_close(gather(ty.read(), yi), y_want, {1e-4, 1e-4}, "conv2d y");

  // Backward data: sums of at most K/G*R*S products.
  const auto xi = pick(s.x_size(), full, seed + 8);
  std::vector<double> dx_want(xi.size());
  for (size_t i = 0; i < xi.size(); ++i) {
    const auto [n, c, a, d] = coords(xi[i], s.c, s.h, s.w);
    dx_want[i] = ref::conv2d_backward_data_at(s, rdy, rw, n, c, a, d) + (cs.accumulate ? dx0[xi[i]] : 0.0);
  }
  check_close(gather(tdx.read(), xi), dx_want, {1e-4, 1e-4}, "conv2d dx");

  // Backward weight and bias: sums over N*OH*OW, up to 12544 products here. fp32 rounding of
  // such a sum grows with its length (the partial sums reach ~sqrt(L)/3 in size), so the
  // absolute tolerance is scaled with L beyond 1000 terms: 1e-4 per 1000.
  const double L = double(s.n) * oh * ow;
  const Tolerance tol_w{1e-4 * std::max(1.0, L / 1000), 1e-4};
  const auto wi = pick(s.w_size(), full, seed + 9);
  std::vector<double> dw_want(wi.size());
  for (size_t i = 0; i < wi.size(); ++i) {
    const auto [k, c, a, d] = coords(wi[i], cg, s.r, s.s);
    dw_want[i] = ref::conv2d_backward_weight_at(s, rx, rdy, k, c, a, d) + (cs.accumulate ? dw0[wi[i]] : 0.0);
  }
  check_close(gather(tdw.read(), wi), dw_want, tol_w, "conv2d dw");
  if (cs.bias) {
    std::vector<double> db_want(size_t(s.k));
    for (int k = 0; k < s.k; ++k)
      db_want[size_t(k)] = ref::conv2d_backward_bias_at(s, rdy, k) + (cs.accumulate ? db0[size_t(k)] : 0.0);
    check_close(tdb.read(), db_want, tol_w, "conv2d db");
  } else {
    // Without a bias the db buffer is not touched.
    check_close(tdb.read(), cs.accumulate ? to_double(db0) : std::vector<double>(size_t(s.k)), {0, 0},
                "conv2d db untouched");
  }
}

// The tiny and odd shapes, each with both variants, full comparison.
void check_both_variants(Case cs, uint32_t seed) {
  for (auto v : {Conv2dVariant::register_blocked, Conv2dVariant::shared_tiled}) {
    cs.variant = v;
    check_conv(cs, seed, true);
  }
}

ref::Conv2dShape shape(int n, int c, int h, int w, int k, int r, int s, int stride = 1, int pad = 0, int groups = 1) {
  return {n, c, h, w, k, r, s, stride, stride, pad, pad, groups};
}

}  // namespace

TEST_CASE("conv2d: 1x1 images, 3 channels, batch 1") {
  check_both_variants({shape(1, 3, 1, 1, 5, 1, 1)}, 1);
  check_both_variants({shape(1, 3, 1, 1, 5, 3, 3, 1, 1), true, true}, 2);  // 3x3 pad 1 on 1x1: only the centre tap
  check_both_variants({shape(1, 1, 1, 1, 1, 1, 1), false}, 3);
}

TEST_CASE("conv2d: odd sizes, K not a multiple of 8, padding, bias and ReLU") {
  check_both_variants({shape(2, 3, 7, 9, 10, 3, 3, 1, 1), true, true}, 11);
  check_both_variants({shape(1, 5, 17, 19, 33, 3, 3, 1, 1), false, false}, 12);
  check_both_variants({shape(3, 4, 6, 5, 7, 2, 2, 1, 0), true, false}, 13);  // even kernel, batch 3
  check_both_variants({shape(1, 2, 5, 5, 3, 5, 5, 1, 0)}, 14);               // kernel = image: 1x1 output
  check_both_variants({shape(1, 2, 3, 3, 3, 5, 5, 1, 2)}, 15);               // kernel larger than the image
}

TEST_CASE("conv2d: strides 2 and 3 with odd sizes, groups, rectangular kernels") {
  check_both_variants({shape(1, 3, 9, 11, 6, 3, 3, 2, 0)}, 21);
  check_both_variants({shape(2, 3, 9, 11, 6, 3, 3, 2, 1), true, true}, 22);
  check_both_variants({shape(1, 4, 8, 7, 6, 5, 5, 1, 2, 2)}, 23);    // groups 2
  check_both_variants({shape(1, 6, 10, 13, 9, 5, 5, 3, 2, 3)}, 24);  // stride 3, pad 2, groups 3
  ref::Conv2dShape rect{2, 6, 9, 8, 9, 3, 2, 2, 1, 1, 0, 3};         // 3x2 kernel, stride (2,1), pad (1,0)
  check_both_variants({rect}, 25);
  check_both_variants({shape(1, 6, 9, 9, 10, 1, 1, 2, 0)}, 26);  // a 1x1 stride-2 projection
}

TEST_CASE("conv2d: a residual added in the epilogue, before the ReLU") {
  Case cs{shape(2, 3, 7, 9, 10, 3, 3, 1, 1), true, true};
  cs.residual = true;
  check_both_variants(cs, 81);
  cs = {shape(1, 6, 9, 9, 10, 1, 1, 2, 0), false, false};  // a strided 1x1, no bias, no ReLU
  cs.residual = true;
  check_both_variants(cs, 82);
  cs = {shape(3, 4, 6, 5, 7, 2, 2, 1, 0, 1), true, true};  // even kernel, batch 3
  cs.residual = true;
  check_both_variants(cs, 83);
  // ResNet-50's last 1x1 of a bottleneck, 64 -> 256 on 56x56.
  cs = {shape(1, 64, 56, 56, 256, 1, 1, 1, 0), true, true};
  cs.residual = true;
  check_conv(cs, 84, false);
}

// 1x1 stride-1 convolutions run as a plain GEMM where the device profile chooses it
// (DeviceProfile::conv_1x1_gemm); CMake runs these cases again with VKNN_CONV1X1=gemm.
TEST_CASE("conv2d: 1x1 stride-1 convolutions at odd and ResNet-50 shapes, with bias, residual and ReLU") {
  const bool gemm = gpu().profile().conv_1x1_gemm;
  MESSAGE("1x1 stride-1 forward on " << (gemm ? "the GEMM path" : "the convolution kernels"));
  check_both_variants({shape(2, 5, 7, 9, 10, 1, 1), true, true}, 91);
  Case cs{shape(3, 7, 5, 3, 9, 1, 1), false, false};
  cs.residual = true;
  check_both_variants(cs, 92);
  cs = {shape(1, 33, 13, 11, 17, 1, 1), true, true};
  cs.residual = true;
  check_both_variants(cs, 93);
  check_both_variants({shape(2, 1, 1, 1, 3, 1, 1), true, false, true}, 94);  // 1x1 images, accumulating backward
  // ResNet-50: a bottleneck's reduction 1024->256 on 14x14 and its expansion 512->2048 on
  // 7x7 with the shortcut added.
  check_conv({shape(1, 1024, 14, 14, 256, 1, 1), true, true}, 95, false);
  cs = {shape(1, 512, 7, 7, 2048, 1, 1), true, true};
  cs.residual = true;
  check_conv(cs, 96, false);
}

TEST_CASE("conv2d: accumulate mode adds dx, dw and db") {
  check_both_variants({shape(2, 3, 7, 9, 10, 3, 3, 1, 1), true, false, true}, 31);
  check_both_variants({shape(1, 6, 9, 9, 10, 1, 1, 2, 0), true, false, true}, 32);  // phases without taps keep dx
  check_both_variants({shape(1, 4, 8, 7, 6, 5, 5, 2, 2, 2), false, false, true}, 33);
  // A long, narrow reduction: the weight gradient is split (and summed in a second pass).
  Case split{shape(2, 2, 40, 48, 4, 3, 3, 1, 1), true, false, true};
  auto bytes = conv2d_backward_weight_workspace_bytes(gpu(), Conv2dParams{1, 1, 1, 1}, {2, 2, 40, 48}, {4, 2, 3, 3});
  REQUIRE_OK(bytes);
  CHECK(*bytes > 0);
  check_both_variants(split, 34);
  split.accumulate = false;
  check_both_variants(split, 35);
}

TEST_CASE("conv2d: AlexNet conv1 (3->96 and the two-column 3->48, 11x11 stride 4, 227 -> 55)") {
  check_conv({shape(1, 3, 227, 227, 96, 11, 11, 4, 0), true, true}, 41, false);
  check_conv({shape(1, 3, 227, 227, 48, 11, 11, 4, 0), true, false, true}, 42, false);
}

TEST_CASE("conv2d: AlexNet conv2 (96->256, 5x5 pad 2, groups 2, 27x27)") {
  check_conv({shape(1, 96, 27, 27, 256, 5, 5, 1, 2, 2), true, true}, 43, false);
}

TEST_CASE("conv2d: AlexNet conv3, conv4, conv5 (3x3 pad 1 on 13x13)") {
  check_conv({shape(1, 256, 13, 13, 384, 3, 3, 1, 1), true, true}, 44, false);
  check_conv({shape(1, 384, 13, 13, 384, 3, 3, 1, 1, 2), true, true}, 45, false);
  check_conv({shape(1, 384, 13, 13, 256, 3, 3, 1, 1, 2), true, false}, 46, false);
}

TEST_CASE("conv2d: ResNet stem (3->64, 7x7 stride 2 pad 3, 224 -> 112)") {
  check_conv({shape(1, 3, 224, 224, 64, 7, 7, 2, 3), false}, 51, false);
}

TEST_CASE("conv2d: ResNet 3x3 64->64 on 56x56 and 3x3 stride 2 64->128 56 -> 28") {
  check_conv({shape(1, 64, 56, 56, 64, 3, 3, 1, 1), false}, 52, false);
  check_conv({shape(1, 64, 56, 56, 128, 3, 3, 2, 1), false, false, true}, 53, false);
}

TEST_CASE("conv2d: ResNet 1x1 convolutions (stride-2 projection 64->128, ResNet-50 256->64 on 56x56)") {
  check_conv({shape(1, 64, 56, 56, 128, 1, 1, 2, 0), false}, 54, false);
  check_conv({shape(1, 256, 56, 56, 64, 1, 1, 1, 0), false, false, true}, 55, false);
}

TEST_CASE("conv2d: the shared-memory variant on real layer shapes") {
  check_conv({shape(1, 96, 27, 27, 256, 5, 5, 1, 2, 2), true, true, false, Conv2dVariant::shared_tiled}, 61, false);
  check_conv({shape(1, 64, 56, 56, 128, 3, 3, 2, 1), false, false, true, Conv2dVariant::shared_tiled}, 62, false);
}

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
