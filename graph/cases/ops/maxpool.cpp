// Max pooling: values, the exact argmax (tie rule included: some cases round x so that windows
// hold many ties), the gathered backward (plain and accumulating), floor and ceil mode,
// asymmetric pads (ONNX's SAME_UPPER / SAME_LOWER and explicit ones), pads up to kernel - 1,
// dilation, a global window, and the AlexNet, ResNet and GoogLeNet pools.
#include "vknn/cases/case.h"
#include "vknn/ops/maxpool.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

struct Where {
  std::string model, layer;
  bool test = true, bench = true;
};

// "kernel 3x3 stride 2x2 pad 1x1", with the pads as (top,left,bottom,right) where asymmetric
// and the dilation where not 1.
std::string geometry(const Pool2dParams& p) {
  std::string g = fmt::format("kernel {}x{} stride {}x{} ", p.kernel_h, p.kernel_w, p.stride_h, p.stride_w);
  if (p.pad_end_h() == p.pad_h && p.pad_end_w() == p.pad_w)
    g += fmt::format("pad {}x{}", p.pad_h, p.pad_w);
  else
    g += fmt::format("pads ({},{},{},{})", p.pad_h, p.pad_w, p.pad_end_h(), p.pad_end_w());
  if (p.dilation_h != 1 || p.dilation_w != 1) g += fmt::format(" dilation {}x{}", p.dilation_h, p.dilation_w);
  return g + (p.ceil_mode ? " ceil" : "");
}

// A window holding no input element (y = -inf) has no derivative to check.
bool has_empty_window(const Pool2dParams& p, const Shape& s) {
  const auto empty = [](int64_t in, int64_t out, int k, int st, int d, int pad) {
    for (int64_t o = 0; o < out; ++o) {
      bool any = false;
      for (int r = 0; r < k; ++r) {
        const int64_t i = o * st - pad + int64_t(r) * d;
        any = any || (i >= 0 && i < in);
      }
      if (!any) return true;
    }
    return false;
  };
  const Shape y = *pool2d_output_shape("maxpool", p, s);
  return empty(s[2], y[2], p.kernel_h, p.stride_h, p.dilation_h, p.pad_h) ||
         empty(s[3], y[3], p.kernel_w, p.stride_w, p.dilation_w, p.pad_w);
}

// quantize > 0: x rounded to multiples of 1/quantize, so that windows hold many ties (the
// central differences leave those cases out: a tie has no derivative).
void add(std::vector<OpCase>& out, const Pool2dParams& p, const Shape& s, uint32_t seed, float quantize = 0,
         Where where = {}) {
  const Shape y = *pool2d_output_shape("maxpool", p, s);
  OpCase c;
  c.name = fmt::format("{} {}{}", s.str(), geometry(p), quantize > 0 ? " ties" : "");
  c.model = where.model, c.layer = where.layer, c.test = where.test, c.bench = where.bench;
  c.params = p;
  c.seed = seed;
  Fill x = uniform(-2, 2);
  x.quantize = quantize;
  c.tensors = {{"x", s, x},           {"y", y, uniform()},  {"argmax", y, zeros()},
               {"dy", y, uniform()},  {"dx", s, uniform()}, {"dx_acc", s, uniform()}};
  const double bytes = double(s.bytes() + 2 * y.bytes());
  c.steps = {
      {"maxpool_forward",
       [p](CommandList& cl, const Views& v) { return record_maxpool_forward(cl, p, v.at("x"), v.at("y"), v.at("argmax")); },
       true, 0, bytes},
      {"maxpool_backward",
       [p](CommandList& cl, const Views& v) {
         return record_maxpool_backward(cl, p, v.at("argmax"), v.at("dy"), v.at("dx"), false);
       },
       true, 0, bytes},
      {"maxpool_backward (accumulate)",
       [p](CommandList& cl, const Views& v) {
         return record_maxpool_backward(cl, p, v.at("argmax"), v.at("dy"), v.at("dx_acc"), true);
       }},
  };
  Check argmax{"argmax", "argmax"};
  argmax.exact_int32 = true;
  c.checks = {{"y", "y", {0, 0}}, argmax, {"dx", "dx"}, {"dx_acc", "dx", {}, true}};  // a maximum is exact
  if (quantize == 0 && !has_empty_window(p, s)) {
    c.gradients = {{"x", "dx"}};
    c.loss = {{"y", "dy"}};
  }
  if (pool2d_is_global(p, s))
    c.shaders = {ShaderId::maxpool_global_forward, ShaderId::maxpool_global_backward};
  else
    c.shaders = {ShaderId::maxpool_forward, ShaderId::maxpool_backward};
  out.push_back(std::move(c));
}

// The fp16 variant (maxpool_forward_f16): x in multiples of 1/64 in [-2, 2], which fp16
// holds exactly, so the maximum and its argmax stay exact.
void add_half(std::vector<OpCase>& out, const Pool2dParams& p, const Shape& s, uint32_t seed, Where where = {}) {
  const Shape y = *pool2d_output_shape("maxpool", p, s);
  OpCase c;
  c.name = fmt::format("fp16 {} {}", s.str(), geometry(p));
  c.model = where.model, c.layer = where.layer, c.test = where.test, c.bench = where.bench;
  c.params = p;
  c.seed = seed;
  Fill x = uniform(-2, 2);
  x.quantize = 64;
  c.tensors = {{"x", s, x}, {"y", y, uniform()}, {"argmax", y, zeros()}, {"dy", y, uniform()},
               {"x16", s, zeros()}, {"y16", y, zeros()}};
  c.steps = {cast_step("x", "x16", true),
             {"maxpool_forward (fp16)",
              [p](CommandList& cl, const Views& v) {
                return record_maxpool_forward(cl, p, as_f16(v.at("x16")), as_f16(v.at("y16")), v.at("argmax"));
              },
              true, 0, double(s.numel() * 2 + y.numel() * 6)},
             cast_step("y16", "y", false)};
  Check argmax{"argmax", "argmax"};
  argmax.exact_int32 = true;
  c.checks = {{"y", "y", {0, 0}}, argmax};
  c.shaders = {ShaderId::cast_to_f16,
               pool2d_is_global(p, s) ? ShaderId::maxpool_global_forward_f16 : ShaderId::maxpool_forward_f16,
               ShaderId::cast_to_f32};
  out.push_back(std::move(c));
}

Pool2dParams ceil(Pool2dParams p) {
  p.ceil_mode = true;
  return p;
}

// p with its own bottom and right pads.
Pool2dParams ends(Pool2dParams p, int bottom, int right) {
  p.pad_bottom = bottom, p.pad_right = right;
  return p;
}

Pool2dParams dilated(Pool2dParams p, int dh, int dw) {
  p.dilation_h = dh, p.dilation_w = dw;
  return p;
}

}  // namespace

std::vector<OpCase> maxpool_cases(int64_t n) {
  std::vector<OpCase> out;
  // Tiny and odd shapes.
  add(out, {1, 1, 1, 1}, {1, 1, 1, 1}, 1);
  add(out, {1, 1, 1, 1}, {1, 3, 2, 3}, 2);
  add(out, {3, 3, 1, 1, 1, 1}, {1, 1, 1, 1}, 3);  // a 1x1 image, padded: the element itself
  add(out, {3, 3, 2, 2}, {2, 3, 7, 9}, 4);
  add(out, {3, 3, 2, 2, 1, 1}, {1, 3, 5, 6}, 5);
  add(out, {2, 2, 2, 2}, {2, 3, 5, 7}, 6);
  add(out, {3, 2, 1, 3, 1, 1}, {1, 2, 6, 10}, 7);
  add(out, {5, 5, 3, 3, 2, 2}, {1, 1, 17, 13}, 8);
  add(out, {3, 2, 1, 2, 1, 0}, {1, 1, 4, 5}, 9);  // rectangular kernel and stride
  // Ceil mode's clipped last windows.
  add(out, ceil({3, 3, 2, 2, 1, 1}), {1, 1, 1, 1}, 41);
  add(out, ceil({2, 2, 2, 2}), {2, 3, 5, 7}, 42);  // last row and column of one element
  add(out, ceil({3, 3, 2, 2}), {1, 2, 8, 6}, 43);
  add(out, ceil({3, 3, 2, 2, 1, 1}), {1, 3, 6, 9}, 44);
  add(out, ceil({3, 3, 3, 3, 1, 1}), {1, 2, 5, 7}, 45);  // a window that would start in the padding is dropped
  add(out, ceil({3, 2, 2, 3, 1, 1}), {1, 2, 10, 11}, 46);
  add(out, ceil({3, 2, 3, 2, 1, 1}), {1, 1, 5, 10}, 48);
  // Asymmetric pads: ONNX's SAME_UPPER (the odd pad at the end) and SAME_LOWER (at the start),
  // explicit ones, and in ceil mode.
  add(out, ends({3, 3, 2, 2, 0, 0}, 1, 1), {1, 3, 5, 6}, 71);  // SAME_UPPER: 5x6 -> 3x3
  add(out, ends({3, 3, 2, 2, 1, 1}, 0, 0), {2, 2, 5, 7}, 72);  // SAME_LOWER: 5x7 -> 3x4
  add(out, ends({2, 2, 1, 1, 0, 0}, 1, 1), {1, 2, 7, 9}, 73);  // SAME_UPPER, stride 1
  add(out, ends({2, 2, 1, 1, 1, 1}, 0, 0), {2, 1, 6, 5}, 74);  // SAME_LOWER, stride 1
  add(out, ends({3, 2, 2, 1, 0, 1}, 2, 0), {1, 2, 9, 10}, 75);
  add(out, ends(ceil({3, 3, 2, 2, 0, 1}), 1, 0), {1, 2, 6, 7}, 76);
  add(out, ends(ceil({3, 3, 3, 2, 2, 0}), 0, 2), {1, 1, 8, 5}, 77);
  // Pads up to kernel - 1 (over PyTorch's kernel/2): windows mostly padding, but never all.
  add(out, {3, 3, 1, 1, 2, 2}, {1, 3, 4, 5}, 78);       // ONNX's maxpool_2d_pads, smaller
  add(out, {3, 3, 1, 1, 2, 2}, {1, 1, 1, 1}, 79);       // a 1x1 image in a 5x5 padded one
  add(out, ends({4, 3, 3, 2, 3, 0}, 1, 2), {2, 3, 7, 6}, 80);
  add(out, ends(ceil({3, 3, 2, 2, 2, 1}), 0, 2), {1, 2, 5, 6}, 81);
  // Dilation: ONNX's maxpool_2d_dilations, a padded and strided one, and windows stepping over
  // a narrow input (y = -inf, no gradient).
  add(out, dilated({2, 2, 1, 1}, 2, 2), {1, 1, 4, 4}, 82);
  add(out, ends(dilated({3, 2, 2, 1, 1, 1}, 2, 3), 0, 1), {2, 3, 9, 11}, 83);
  add(out, ends(dilated(ceil({3, 3, 2, 2, 1, 0}), 2, 1), 1, 1), {1, 2, 8, 7}, 84);
  add(out, dilated({2, 2, 1, 1, 1, 0}, 2, 1), {1, 2, 1, 3}, 85);
  // A global window (ONNX's GlobalMaxPool): the whole image, 1x1 out, by the global shaders;
  // a padded one stays windowed.
  add(out, {1, 1, 1, 1}, {2, 3, 1, 1}, 86);
  add(out, {5, 7, 1, 1}, {2, 3, 5, 7}, 87);
  add(out, {5, 7, 3, 2}, {1, 2, 5, 7}, 89, 2.0f);  // ties
  add(out, {13, 17, 1, 1}, {1, 5, 13, 17}, 90);    // planes over a workgroup of elements
  add(out, ends({3, 3, 1, 1}, 1, 1), {1, 2, 2, 2}, 91);
  add(out, {7, 7, 1, 1}, {n, 512, 7, 7}, 88, 0, {"resnet18-style", "global max pool"});
  add_half(out, {5, 7, 1, 1}, {2, 3, 5, 7}, 92);
  // Many ties: the argmax must agree with the reference exactly.
  add(out, ceil({3, 3, 2, 2}), {2, 4, 13, 12}, 47, 1.0f);
  add(out, {3, 3, 2, 2}, {2, 4, 13, 13}, 10, 2.0f);
  add(out, {3, 3, 2, 2, 1, 1}, {1, 4, 12, 11}, 11, 1.0f);
  // AlexNet 55->27, 27->13, 13->6 and the ResNet stem 112->56: timed at the benchmark's batch,
  // tested at batch 2 where a second image matters.
  const Pool2dParams alex{3, 3, 2, 2}, stem{3, 3, 2, 2, 1, 1};
  add(out, alex, {n, 96, 55, 55}, 21, 0, {"alexnet", "pool1"});
  add(out, alex, {n, 256, 27, 27}, 22, 0, {"alexnet", "pool2", false});
  add(out, alex, {2, 256, 27, 27}, 22, 0, {"alexnet", "pool2 (batch 2)", true, false});
  add(out, alex, {n, 256, 13, 13}, 23, 0, {"alexnet", "pool5", false});
  add(out, alex, {2, 256, 13, 13}, 23, 0, {"alexnet", "pool5 (batch 2)", true, false});
  add(out, stem, {n, 64, 112, 112}, 31, 0, {"resnet50", "maxpool", false});
  add(out, stem, {2, 64, 112, 112}, 31, 0, {"resnet50", "maxpool (batch 2)", true, false});
  // fp16 storage: odd shapes, ceil mode, and the ResNet stem.
  add_half(out, {3, 3, 2, 2, 1, 1}, {1, 3, 5, 6}, 61);
  add_half(out, ceil({3, 3, 2, 2}), {2, 3, 7, 9}, 62);
  add_half(out, ends(dilated({3, 3, 2, 2, 2, 1}, 1, 2), 0, 2), {1, 3, 6, 7}, 64);
  add_half(out, stem, {n, 64, 112, 112}, 63, {"resnet18", "maxpool (fp16)"});
  // GoogLeNet's ceil-mode pools 112->56, 56->28, 28->14, 14->7, and an inception pool branch.
  add(out, ceil(alex), {1, 64, 112, 112}, 51, 0, {"googlenet", "maxpool1", true, false});
  add(out, ceil(alex), {2, 192, 56, 56}, 52, 0, {"googlenet", "maxpool2", true, false});
  add(out, ceil(alex), {1, 480, 28, 28}, 53, 0, {"googlenet", "maxpool3", true, false});
  add(out, ceil({2, 2, 2, 2}), {2, 832, 14, 14}, 54, 0, {"googlenet", "maxpool4", true, false});
  add(out, ceil({3, 3, 1, 1, 1, 1}), {1, 192, 28, 28}, 55, 0, {"googlenet", "inception3a.branch4 pool", true, false});
  return out;
}

}  // namespace vknn::cases
