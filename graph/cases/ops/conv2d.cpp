// conv2d: forward (bias, a residual added in the epilogue, fused ReLU), backward data and
// backward weight/bias (plain and accumulating). Tiny and odd shapes run with both kernel
// variants forced and are compared whole; the AlexNet and ResNet layers run on the device's
// own choice (or a forced variant) and are compared on sampled elements. Which shaders run
// depends on the device: the forward's path (register, shared, or the matmul kernels for
// 1x1 stride-1 layers where the profile asks for the GEMM path), the backward data's (the
// direct kernels, or Winograd on the flipped, transposed weights for 3x3 stride-1 layers where
// that forward takes Winograd) and whether the weight gradient's reduction is split
// (conv2d_split_reduce).
#include "vknn/cases/case.h"
#include "vknn/ops/conv2d.h"
#include "vknn/ops/matmul.h"

#include <fmt/format.h>

#include <algorithm>

namespace vknn::cases {
namespace {

struct Layer {
  Shape x, w;  // (N,C,H,W), (K,C/G,R,S)
  Conv2dParams p;
  bool bias = true, residual = false, accumulate = false;
};

Layer layer(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s, int stride = 1, int pad = 0,
            int groups = 1) {
  Layer l;
  l.x = {n, c, h, w}, l.w = {k, c / groups, r, s};
  l.p.stride_h = l.p.stride_w = stride, l.p.pad_h = l.p.pad_w = pad, l.p.groups = groups;
  return l;
}
Layer with(Layer l, bool bias, bool relu, bool accumulate = false, bool residual = false) {
  l.bias = bias, l.p.relu = relu, l.accumulate = accumulate, l.residual = residual;
  return l;
}

const char* variant_name(Conv2dVariant v) {
  switch (v) {
    case Conv2dVariant::register_blocked: return "register";
    case Conv2dVariant::shared_tiled: return "shared";
    case Conv2dVariant::winograd_f2: return "winograd_f2";
    case Conv2dVariant::winograd_f4: return "winograd_f4";
    default: return "auto";
  }
}

// The matmul kernel of the forward's GEMM path: conv2d.cpp's record_conv2d_forward_gemm
// multiplies w (K, C) by each image's x (C, H*W), both contiguous.
ShaderId gemm_shader(const DeviceProfile& profile, const Shape& x, const Shape& w) {
  MatmulDesc m;
  m.M = uint32_t(w[0]), m.N = uint32_t(x[2] * x[3]), m.K = uint32_t(x[1]), m.batch = uint32_t(x[0]);
  m.a_m = m.K, m.a_k = 1, m.b_k = m.N, m.b_n = 1, m.c_m = m.N, m.c_n = 1;
  switch (choose_matmul_variant(profile, m)) {
    case MatmulVariant::rows_dot: return ShaderId::matmul_rows_dot;
    case MatmulVariant::columns: return ShaderId::matmul_columns;
    case MatmulVariant::register_blocked: return ShaderId::matmul_register;
    default: return ShaderId::matmul_shared;
  }
}

// The shaders the three steps dispatch on this device (an empty list where the forward's
// path cannot be told: the steps then fail with the reason).
std::vector<ShaderId> layer_shaders(Context& ctx, const Layer& l) {
  auto path = conv2d_forward_choice(ctx, l.p, l.x, l.w, l.bias, l.residual);
  auto workspace = conv2d_backward_weight_workspace_bytes(ctx, l.p, l.x, l.w);
  auto data = conv2d_backward_data_choice(ctx, l.p, l.x, l.w, l.accumulate);
  if (!path.ok() || !workspace.ok() || !data.ok()) return {};
  const bool reg = resolve_conv2d_variant(ctx.profile(), l.p.variant) == Conv2dVariant::register_blocked;
  std::vector<ShaderId> s;
  if (*path == "winograd_f2")
    s.insert(s.end(), {ShaderId::conv2d_winograd_weights_f2, ShaderId::conv2d_winograd_input_f2,
                       ShaderId::conv2d_winograd_gemm, ShaderId::conv2d_winograd_output_f2});
  else if (*path == "winograd_f4")
    s.insert(s.end(), {ShaderId::conv2d_winograd_weights_f4, ShaderId::conv2d_winograd_input_f4,
                       ShaderId::conv2d_winograd_gemm, ShaderId::conv2d_winograd_output_f4});
  else
    s.push_back(*path == "gemm"       ? gemm_shader(ctx.profile(), l.x, l.w)
                : *path == "register" ? ShaderId::conv2d_forward_register
                                      : ShaderId::conv2d_forward_shared);
  if (*data == "winograd_f2")  // the transposed forward
    s.insert(s.end(), {ShaderId::conv2d_flip_weights, ShaderId::conv2d_winograd_weights_f2,
                       ShaderId::conv2d_winograd_input_f2, ShaderId::conv2d_winograd_gemm,
                       ShaderId::conv2d_winograd_output_f2});
  else if (*data == "winograd_f4")
    s.insert(s.end(), {ShaderId::conv2d_flip_weights, ShaderId::conv2d_winograd_weights_f4,
                       ShaderId::conv2d_winograd_input_f4, ShaderId::conv2d_winograd_gemm,
                       ShaderId::conv2d_winograd_output_f4});
  else
    s.push_back(reg ? ShaderId::conv2d_backward_data_register : ShaderId::conv2d_backward_data_shared);
  s.push_back(reg ? ShaderId::conv2d_backward_weight_register : ShaderId::conv2d_backward_weight_shared);
  if (*workspace > 0) s.push_back(ShaderId::conv2d_split_reduce);
  if (l.bias) s.push_back(ShaderId::conv2d_bias_grad);
  return s;
}

// The forward's tolerance. Direct: sums of C/G*R*S products of values in [-1, 1], 1e-4. Winograd
// adds the rounding of its transforms: the input's coefficients reach |5| (F(4,3)'s BT), the
// output's 8 (its AT), so the rounding of the C-long sums in the transformed domain reaches y
// amplified (Lavin & Gray 2016, section 4.2; Barabasz et al. 2020, "Error analysis and improving
// the accuracy of Winograd convolution", F(4,3) about an order of magnitude less accurate than
// F(2,3)). Simulated in fp32 (numpy, the shaders' order of operations) on values in [-1, 1]:
// worst absolute error F(2,3) 8e-6 at C = 64 and 6e-5 at C = 512, F(4,3) 1.2e-4 and 7.2e-4,
// on outputs of typical size sqrt(9 C)/3 (8 and 23). The bounds grow with C like that error, at
// 3x (F(2,3)) and 2x (F(4,3)) its measured worst, about 1e-4 of the outputs' typical size; a
// wrong tap errs by a whole product (~0.3). A 3x3 stride-1 layer left to the device may be tuned
// to F(4,3).
// The backward data of such a layer may run as the forward of its transposed form (sums over K
// channels instead of C, at the same tile): data_tolerance.
Tolerance winograd_tolerance(const Layer& l, double C) {
  const bool shaped = l.w[2] == 3 && l.w[3] == 3 && l.p.stride_h == 1 && l.p.stride_w == 1 && l.p.groups == 1;
  if (l.p.variant == Conv2dVariant::winograd_f4 || (shaped && l.p.variant == Conv2dVariant::automatic))
    return {std::max(1e-4, 4e-6 * C), 1e-4};
  if (l.p.variant == Conv2dVariant::winograd_f2) return {std::max(1e-4, 4e-7 * C), 1e-4};
  return {1e-4, 1e-4};
}
Tolerance forward_tolerance(const Layer& l) { return winograd_tolerance(l, double(l.w[1])); }
Tolerance data_tolerance(const Layer& l) { return winograd_tolerance(l, double(l.w[0])); }

// One case: the three steps on one layer. `sampled`: compare 192 drawn elements of each
// output (real layers), else all. `gradients`: declare the central-difference check (not
// with a fused ReLU: the op's backward is the convolution's alone).
OpCase conv_case(const Layer& l, uint32_t seed, bool sampled, bool gradients, std::string model = {},
                 std::string lname = {}, bool bench = true) {
  const Conv2dParams& p = l.p;
  const Shape y = *conv2d_output_shape(p, l.x, l.w), b{l.w[0]};
  OpCase c;
  // "1x1 stride 1" names the layers the GEMM path may take (tests/CMakeLists.txt reruns them on it).
  const bool gemm_shaped = l.w[2] == 1 && l.w[3] == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 &&
                           p.pad_w == 0 && p.groups == 1;
  c.name = fmt::format("x {} w {} stride ({},{}) pad ({},{}) groups {}{}{}{}{} {}{}", l.x.str(), l.w.str(), p.stride_h,
                       p.stride_w, p.pad_h, p.pad_w, p.groups, l.bias ? " bias" : "", l.residual ? " residual" : "",
                       p.relu ? " relu" : "", l.accumulate ? " accumulate" : "", variant_name(p.variant),
                       gemm_shaped ? " (1x1 stride 1)" : "");
  c.model = std::move(model), c.layer = std::move(lname), c.bench = bench;
  c.params = p;
  c.seed = seed;
  // dx, dw and db start non-zero: overwritten unless accumulating; without a bias db is
  // left as it was.
  // The reference reads a bias from "b" and a residual from "res" where they exist.
  c.tensors = {{"x", l.x, uniform()},  {"w", l.w, uniform()},  {"y", y, uniform()},   {"dy", y, uniform()},
               {"dx", l.x, uniform()}, {"dw", l.w, uniform()}, {"db", b, uniform()}};
  if (l.bias) c.tensors.push_back({"b", b, uniform()});
  if (l.residual) c.tensors.push_back({"res", y, uniform()});
  const bool bias = l.bias, residual = l.residual, acc = l.accumulate;
  const double flops = 2.0 * double(y.numel()) * double(l.w[1] * l.w[2] * l.w[3]);
  c.steps = {
      {"conv2d_forward",
       [p, bias, residual](CommandList& cl, const Views& v) {
         return record_conv2d_forward(cl, p, v.at("x"), v.at("w"), bias ? &v.at("b") : nullptr, v.at("y"),
                                      residual ? &v.at("res") : nullptr, v.at("workspace").buffer);
       },
       true, flops},
      {"conv2d_backward_data",
       [p, acc](CommandList& cl, const Views& v) {
         return record_conv2d_backward_data(cl, p, v.at("dy"), v.at("w"), v.at("dx"), acc, v.at("workspace").buffer);
       },
       true, flops},
      {"conv2d_backward_weight",
       [p, bias, acc](CommandList& cl, const Views& v) {
         return record_conv2d_backward_weight(cl, p, v.at("x"), v.at("dy"), v.at("dw"), bias ? &v.at("db") : nullptr,
                                              v.at("workspace").buffer, acc);
       },
       true, flops},
  };
  // One workspace serves the forward (Winograd's tiles), the data gradient's transposed
  // forward and the weight gradient's split.
  c.workspace = [l](const Context& ctx) -> Result<uint64_t> {
    VKNN_ASSIGN(const uint64_t fwd, conv2d_forward_workspace_bytes(ctx, l.p, l.x, l.w, l.bias, l.residual));
    VKNN_ASSIGN(const uint64_t data, conv2d_backward_data_workspace_bytes(ctx, l.p, l.x, l.w, l.accumulate));
    VKNN_ASSIGN(const uint64_t bwd, conv2d_backward_weight_workspace_bytes(ctx, l.p, l.x, l.w));
    return std::max({fwd, data, bwd});
  };
  // Forward: sums of C/G*R*S products of values in [-1, 1]; backward data: of K/G*R*S. The
  // weight gradient sums N*OH*OW products: fp32 rounding of such a sum grows with its length
  // (the partial sums reach ~sqrt(L)/3 in size), so beyond 1000 terms the absolute tolerance
  // grows with L, 1e-4 per 1000.
  const double L = double(y[0] * y[2] * y[3]);
  const Tolerance tol_w{1e-4 * std::max(1.0, L / 1000), 1e-4};
  const size_t samples = sampled ? 192 : 0;
  c.checks = {{"y", "y", forward_tolerance(l), false, false, samples},
              {"dx", "dx", data_tolerance(l), acc, false, samples},
              {"dw", "dw", tol_w, acc, false, samples},
              bias ? Check{"db", "db", tol_w, acc} : Check{"db", "unchanged", {0, 0}, true}};
  if (gradients && !p.relu) {
    c.gradients = {{"x", "dx"}, {"w", "dw"}};
    if (bias) c.gradients.push_back({"b", "db"});
    c.loss = {{"y", "dy"}};
  }
  c.shaders_on = [l](Context& ctx) { return layer_shaders(ctx, l); };
  return c;
}

// A tiny or odd shape with each variant forced, compared whole; the central differences run
// on the first (the reference is the same).
void both_variants(std::vector<OpCase>& out, Layer l, uint32_t seed) {
  for (Conv2dVariant v : {Conv2dVariant::register_blocked, Conv2dVariant::shared_tiled}) {
    l.p.variant = v;
    out.push_back(conv_case(l, seed, false, v == Conv2dVariant::register_blocked));
  }
}

// A 3x3 stride-1 shape with each Winograd tile forced, compared whole: the backward data runs
// as the forward of the transposed layer at the same tile (padding 2 - pad), the backward
// weight on the direct kernels.
void winograd_variants(std::vector<OpCase>& out, Layer l, uint32_t seed) {
  for (Conv2dVariant v : {Conv2dVariant::winograd_f2, Conv2dVariant::winograd_f4}) {
    l.p.variant = v;
    out.push_back(conv_case(l, seed, false, false));
  }
}

// Winograd's edges: images smaller than a tile and not multiples of it (F(4,3)'s 4x4 and
// F(2,3)'s 2x2), padding 0 and 1, C and K not multiples of 4 or of the GEMM's block of 8, tile
// counts not multiples of 4 or 8, batch 1..3, bias, ReLU and a residual.
void winograd_shapes(std::vector<OpCase>& out) {
  winograd_variants(out, with(layer(1, 3, 1, 1, 5, 3, 3, 1, 1), true, true), 201);  // 1x1 image, the centre tap
  winograd_variants(out, layer(1, 1, 3, 3, 1, 3, 3, 1, 0), 202);                     // one output pixel
  winograd_variants(out, with(layer(2, 3, 7, 9, 10, 3, 3, 1, 1), true, true), 203);
  winograd_variants(out, with(layer(1, 5, 17, 19, 33, 3, 3, 1, 1), false, false), 204);
  winograd_variants(out, with(layer(3, 6, 11, 5, 7, 3, 3, 1, 0), true, false), 205);      // pad 0, batch 3
  winograd_variants(out, with(layer(2, 7, 13, 10, 9, 3, 3, 1, 1), true, true, false, true), 206);  // residual
  winograd_variants(out, with(layer(3, 4, 6, 6, 4, 3, 3, 1, 2), false, true, false, true), 207);   // pad 2
  winograd_variants(out, with(layer(1, 20, 15, 14, 17, 3, 3, 1, 1), true, false, true), 208);      // accumulating backward
}

void odd_shapes(std::vector<OpCase>& out) {
  // 1x1 images, 3 channels, batch 1.
  both_variants(out, layer(1, 3, 1, 1, 5, 1, 1), 1);
  both_variants(out, with(layer(1, 3, 1, 1, 5, 3, 3, 1, 1), true, true), 2);  // 3x3 pad 1 on 1x1: the centre tap
  both_variants(out, with(layer(1, 1, 1, 1, 1, 1, 1), false, false), 3);
  // Odd sizes, K not a multiple of 8, padding, bias and ReLU.
  both_variants(out, with(layer(2, 3, 7, 9, 10, 3, 3, 1, 1), true, true), 11);
  both_variants(out, with(layer(1, 5, 17, 19, 33, 3, 3, 1, 1), false, false), 12);
  both_variants(out, layer(3, 4, 6, 5, 7, 2, 2, 1, 0), 13);  // even kernel, batch 3
  both_variants(out, layer(1, 2, 5, 5, 3, 5, 5, 1, 0), 14);  // kernel = image: 1x1 output
  both_variants(out, layer(1, 2, 3, 3, 3, 5, 5, 1, 2), 15);  // kernel larger than the image
  // Strides 2 and 3 with odd sizes, groups, rectangular kernels.
  both_variants(out, layer(1, 3, 9, 11, 6, 3, 3, 2, 0), 21);
  both_variants(out, with(layer(2, 3, 9, 11, 6, 3, 3, 2, 1), true, true), 22);
  both_variants(out, layer(1, 4, 8, 7, 6, 5, 5, 1, 2, 2), 23);    // groups 2
  both_variants(out, layer(1, 6, 10, 13, 9, 5, 5, 3, 2, 3), 24);  // stride 3, pad 2, groups 3
  Layer rect = layer(2, 6, 9, 8, 9, 3, 2, 1, 0, 3);               // 3x2 kernel, stride (2,1), pad (1,0)
  rect.p.stride_h = 2, rect.p.pad_h = 1;
  both_variants(out, rect, 25);
  both_variants(out, layer(1, 6, 9, 9, 10, 1, 1, 2, 0), 26);  // a 1x1 stride-2 projection
  // A residual added in the epilogue, before the ReLU.
  both_variants(out, with(layer(2, 3, 7, 9, 10, 3, 3, 1, 1), true, true, false, true), 81);
  both_variants(out, with(layer(1, 6, 9, 9, 10, 1, 1, 2, 0), false, false, false, true), 82);  // strided 1x1
  both_variants(out, with(layer(3, 4, 6, 5, 7, 2, 2, 1, 0), true, true, false, true), 83);     // even kernel
  // 1x1 stride-1 convolutions (the GEMM path where the profile chooses it).
  both_variants(out, with(layer(2, 5, 7, 9, 10, 1, 1), true, true), 91);
  both_variants(out, with(layer(3, 7, 5, 3, 9, 1, 1), false, false, false, true), 92);
  both_variants(out, with(layer(1, 33, 13, 11, 17, 1, 1), true, true, false, true), 93);
  both_variants(out, with(layer(2, 1, 1, 1, 3, 1, 1), true, false, true), 94);  // 1x1 images, accumulating
  // Accumulate mode adds dx, dw and db.
  both_variants(out, with(layer(2, 3, 7, 9, 10, 3, 3, 1, 1), true, false, true), 31);
  both_variants(out, with(layer(1, 6, 9, 9, 10, 1, 1, 2, 0), true, false, true), 32);  // phases without taps keep dx
  both_variants(out, with(layer(1, 4, 8, 7, 6, 5, 5, 2, 2, 2), false, false, true), 33);
  // A long, narrow reduction: the weight gradient is split (and summed in a second pass).
  both_variants(out, with(layer(2, 2, 40, 48, 4, 3, 3, 1, 1), true, false, true), 34);
  both_variants(out, with(layer(2, 2, 40, 48, 4, 3, 3, 1, 1), true, false, false), 35);
}

}  // namespace

std::vector<OpCase> conv2d_cases(int64_t n) {
  std::vector<OpCase> out;
  odd_shapes(out);
  winograd_shapes(out);
  auto real = [&](Layer l, uint32_t seed, const char* model, std::string name, bool bench = true, bool test = true) {
    out.push_back(conv_case(l, seed, true, false, model, std::move(name), bench));
    out.back().test = test;
  };
  // AlexNet (Krizhevsky et al. 2012), both columns together; conv2/4/5 are grouped.
  real(with(layer(n, 3, 227, 227, 96, 11, 11, 4, 0), true, true), 41, "alexnet", "conv1");
  real(with(layer(n, 3, 227, 227, 48, 11, 11, 4, 0), true, false, true), 42, "alexnet", "conv1 (one column, accumulate)",
       false);
  real(with(layer(n, 96, 27, 27, 256, 5, 5, 1, 2, 2), true, true), 43, "alexnet", "conv2");
  real(with(layer(n, 256, 13, 13, 384, 3, 3, 1, 1), true, true), 44, "alexnet", "conv3");
  real(with(layer(n, 384, 13, 13, 384, 3, 3, 1, 1, 2), true, true), 45, "alexnet", "conv4");
  real(with(layer(n, 384, 13, 13, 256, 3, 3, 1, 1, 2), true, false), 46, "alexnet", "conv5");
  // The shared-memory variant on real layers.
  Layer shared = with(layer(n, 96, 27, 27, 256, 5, 5, 1, 2, 2), true, true);
  shared.p.variant = Conv2dVariant::shared_tiled;
  real(shared, 61, "alexnet", "conv2 (shared)", false);
  // ResNet-18/50 (He et al. 2016, torchvision's v1.5 with the stride on the 3x3); no biases.
  real(with(layer(n, 3, 224, 224, 64, 7, 7, 2, 3), false, false), 51, "resnet50", "conv1");
  real(with(layer(n, 64, 56, 56, 64, 3, 3, 1, 1), false, false), 52, "resnet50", "layer1.0.conv2 (3x3)");
  real(with(layer(n, 64, 56, 56, 128, 3, 3, 2, 1), false, false, true), 53, "resnet18", "layer2.0.conv1 (3x3 s2, accumulate)",
       false);
  shared = with(layer(n, 64, 56, 56, 128, 3, 3, 2, 1), false, false, true);
  shared.p.variant = Conv2dVariant::shared_tiled;
  real(shared, 62, "resnet18", "layer2.0.conv1 (3x3 s2, accumulate, shared)", false);
  real(with(layer(n, 64, 56, 56, 128, 1, 1, 2, 0), false, false), 54, "resnet18", "layer2.0.downsample (1x1 s2)", false);
  real(with(layer(n, 256, 56, 56, 64, 1, 1, 1, 0), false, false, true), 55, "resnet50",
       "layer1.1.conv1 (1x1, accumulate)", false);
  real(with(layer(n, 64, 56, 56, 256, 1, 1, 1, 0), true, true, false, true), 84, "resnet50",
       "layer1.0.conv3 (1x1, residual, relu)", false);
  real(with(layer(n, 1024, 14, 14, 256, 1, 1, 1, 0), true, true), 95, "resnet50", "layer4.0.conv1 (1x1)", false);
  real(with(layer(n, 512, 7, 7, 2048, 1, 1, 1, 0), true, true, false, true), 96, "resnet50",
       "layer4.2.conv3 (1x1, residual)", false);
  // Benchmark only (the GPU time of the tests stays as it was).
  real(with(layer(n, 64, 56, 56, 64, 1, 1, 1, 0), false, false), 101, "resnet50", "layer1.0.conv1 (1x1)", true, false);
  real(with(layer(n, 64, 56, 56, 256, 1, 1, 1, 0), false, false), 102, "resnet50", "layer1.0.conv3 (1x1)", true, false);
  real(with(layer(n, 128, 56, 56, 128, 3, 3, 2, 1), false, false), 103, "resnet50", "layer2.0.conv2 (3x3 s2)", true,
       false);
  real(with(layer(n, 256, 56, 56, 512, 1, 1, 2, 0), false, false), 104, "resnet50", "layer2.0.downsample (1x1 s2)",
       true, false);
  real(with(layer(n, 256, 14, 14, 256, 3, 3, 1, 1), false, false), 105, "resnet50", "layer3.1.conv2 (3x3)", true, false);
  real(with(layer(n, 512, 7, 7, 512, 3, 3, 1, 1), false, false), 106, "resnet50", "layer4.1.conv2 (3x3)", true, false);
  real(with(layer(n, 2048, 7, 7, 512, 1, 1, 1, 0), false, false), 107, "resnet50", "layer4.1.conv1 (1x1)", true, false);
  real(with(layer(n, 128, 28, 28, 128, 3, 3, 1, 1), false, false), 108, "resnet50", "layer2.1.conv2 (3x3)", true, false);
  // Winograd forced on the 3x3 stride-1 shapes of ResNet-18 and -50 (the same four in both):
  // tested at one tile each, and timed at both by `vknn bench ops` beside the direct ones above.
  auto wino = [&](Layer l, uint32_t seed, const char* lname, Conv2dVariant v, bool test) {
    l.p.variant = v;
    real(l, seed, "resnet50", fmt::format("{}, {})", lname, variant_name(v)), true, test);
  };
  for (Conv2dVariant v : {Conv2dVariant::winograd_f2, Conv2dVariant::winograd_f4}) {
    const bool f2 = v == Conv2dVariant::winograd_f2;
    wino(with(layer(n, 64, 56, 56, 64, 3, 3, 1, 1), false, false), 111, "layer1.0.conv2 (3x3", v, true);
    wino(with(layer(n, 128, 28, 28, 128, 3, 3, 1, 1), false, false), 112, "layer2.1.conv2 (3x3", v, false);
    wino(with(layer(n, 256, 14, 14, 256, 3, 3, 1, 1), false, false), 113, "layer3.1.conv2 (3x3", v, f2);
    wino(with(layer(n, 512, 7, 7, 512, 3, 3, 1, 1), true, true, false, true), 114, "layer4.1.conv2 (3x3 residual relu",
         v, !f2);
  }
  return out;
}

}  // namespace vknn::cases
