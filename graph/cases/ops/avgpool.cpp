// Average pooling, 2-D in both divisor modes (count_include_pad or not), floor and ceil mode,
// asymmetric pads (ONNX's SAME_UPPER / SAME_LOWER and explicit ones), pads up to kernel - 1, and global (to (N,C) or (N,C,1,1)): forward and the gathered backward (plain and
// accumulating) at tiny and odd shapes and the AlexNet-style, ResNet and CIFAR layers.
#include "vknn/cases/case.h"
#include "vknn/ops/avgpool.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

struct Where {
  std::string model, layer;
  bool test = true, bench = true;
};

void finish(OpCase& c, const Shape& x, const Shape& y) {
  c.tensors = {{"x", x, uniform(-2, 2)}, {"y", y, uniform()},  {"dy", y, uniform()},
               {"dx", x, uniform()},     {"dx_acc", x, uniform()}};
  c.checks = {{"y", "y"}, {"dx", "dx"}, {"dx_acc", "dx", {}, true}};
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
}

void add(std::vector<OpCase>& out, const AvgPool2dParams& p, const Shape& s, uint32_t seed, Where where = {}) {
  const Shape y = *pool2d_output_shape("avgpool", p, s);
  OpCase c;
  const bool symmetric = p.pad_end_h() == p.pad_h && p.pad_end_w() == p.pad_w;
  const std::string pads = symmetric ? fmt::format("pad {}x{}", p.pad_h, p.pad_w)
                                     : fmt::format("pads ({},{},{},{})", p.pad_h, p.pad_w, p.pad_end_h(), p.pad_end_w());
  c.name = fmt::format("{} kernel {}x{} stride {}x{} {}{}{}", s.str(), p.kernel_h, p.kernel_w, p.stride_h, p.stride_w,
                       pads, p.ceil_mode ? " ceil" : "", p.count_include_pad ? " include_pad" : " exclude_pad");
  c.model = where.model, c.layer = where.layer, c.test = where.test, c.bench = where.bench;
  c.params = p;
  c.seed = seed;
  finish(c, s, y);
  const double bytes = double(s.bytes() + y.bytes());
  c.steps = {
      {"avgpool_forward",
       [p](CommandList& cl, const Views& v) { return record_avgpool_forward(cl, p, v.at("x"), v.at("y")); }, true, 0,
       bytes},
      {"avgpool_backward",
       [p](CommandList& cl, const Views& v) { return record_avgpool_backward(cl, p, v.at("dy"), v.at("dx"), false); },
       true, 0, bytes},
      {"avgpool_backward (accumulate)",
       [p](CommandList& cl, const Views& v) { return record_avgpool_backward(cl, p, v.at("dy"), v.at("dx_acc"), true); }},
  };
  c.shaders = {ShaderId::avgpool_forward, ShaderId::avgpool_backward};
  out.push_back(std::move(c));
}

// params: empty (no AvgPool2dParams): the reference tells global pooling by that.
void add_global(std::vector<OpCase>& out, const Shape& s, bool flat, uint32_t seed, Where where = {}) {
  const Shape y = flat ? Shape{s[0], s[1]} : Shape{s[0], s[1], 1, 1};
  OpCase c;
  c.name = fmt::format("global {} -> {}", s.str(), y.str());
  c.model = where.model, c.layer = where.layer, c.test = where.test, c.bench = where.bench;
  c.seed = seed;
  finish(c, s, y);
  const double bytes = double(s.bytes() + y.bytes());
  c.steps = {
      {"global_avgpool_forward",
       [](CommandList& cl, const Views& v) { return record_global_avgpool_forward(cl, v.at("x"), v.at("y")); }, true,
       0, bytes},
      {"global_avgpool_backward",
       [](CommandList& cl, const Views& v) { return record_global_avgpool_backward(cl, v.at("dy"), v.at("dx"), false); },
       true, 0, bytes},
      {"global_avgpool_backward (accumulate)",
       [](CommandList& cl, const Views& v) {
         return record_global_avgpool_backward(cl, v.at("dy"), v.at("dx_acc"), true);
       }},
  };
  c.shaders = {ShaderId::avgpool_global_forward, ShaderId::avgpool_global_backward};
  out.push_back(std::move(c));
}

// The fp16 variant (avgpool_global_forward_f16): x in multiples of 1/64 (exact in fp16); the
// fp32 sum is rounded once to fp16 on the way out.
void add_global_half(std::vector<OpCase>& out, const Shape& s, uint32_t seed, Where where = {}) {
  const Shape y{s[0], s[1]};
  OpCase c;
  c.name = fmt::format("fp16 global {} -> {}", s.str(), y.str());
  c.model = where.model, c.layer = where.layer, c.test = where.test, c.bench = where.bench;
  c.seed = seed;
  Fill x = uniform(-2, 2);
  x.quantize = 64;
  c.tensors = {{"x", s, x}, {"y", y, uniform()}, {"dy", y, uniform()}, {"x16", s, zeros()}, {"y16", y, zeros()}};
  c.steps = {cast_step("x", "x16", true),
             {"global_avgpool_forward (fp16)",
              [](CommandList& cl, const Views& v) {
                return record_global_avgpool_forward(cl, as_f16(v.at("x16")), as_f16(v.at("y16")));
              },
              true, 0, double(s.numel() + y.numel()) * 2},
             cast_step("y16", "y", false)};
  c.checks = {{"y", "y", {1e-3, 2e-3}}};  // one rounding to fp16: 2^-11 relative
  c.shaders = {ShaderId::cast_to_f16, ShaderId::avgpool_global_forward_f16, ShaderId::cast_to_f32};
  out.push_back(std::move(c));
}

AvgPool2dParams avg(int k, int s, int pad, bool include_pad, bool ceil_mode = false) {
  AvgPool2dParams p;
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_h = p.pad_w = pad;
  p.count_include_pad = include_pad;
  p.ceil_mode = ceil_mode;
  return p;
}

// p with its own bottom and right pads.
AvgPool2dParams ends(AvgPool2dParams p, int bottom, int right) {
  p.pad_bottom = bottom, p.pad_right = right;
  return p;
}

}  // namespace

std::vector<OpCase> avgpool_cases(int64_t n) {
  std::vector<OpCase> out;
  for (bool include_pad : {true, false}) {
    // Tiny and odd shapes.
    add(out, avg(1, 1, 0, include_pad), {1, 1, 1, 1}, 1);
    add(out, avg(3, 2, 1, include_pad), {1, 1, 1, 1}, 2);
    add(out, avg(3, 2, 1, include_pad), {2, 3, 7, 9}, 3);
    add(out, avg(3, 1, 1, include_pad), {1, 3, 5, 6}, 4);
    add(out, avg(2, 2, 0, include_pad), {2, 3, 5, 7}, 5);
    add(out, avg(3, 2, 0, include_pad), {2, 2, 9, 7}, 7);
    AvgPool2dParams rect = avg(3, 1, 1, include_pad);
    rect.kernel_w = 2, rect.stride_w = 3, rect.pad_w = 0;
    add(out, rect, {1, 2, 6, 10}, 6);
    // Ceil mode's clipped last windows.
    for (int k : {2, 3})
      for (int pad : {0, 1}) {
        const AvgPool2dParams p = avg(k, 2, pad, include_pad, true);
        add(out, p, {1, 1, 3, 3}, 31);
        add(out, p, {2, 3, 5, 8}, 32);
        add(out, p, {1, 2, 6, 7}, 33);
      }
    add(out, avg(3, 3, 1, include_pad, true), {1, 2, 5, 7}, 34);  // a window that would start in the padding is dropped
    // Asymmetric pads: ONNX's SAME_UPPER (the odd pad at the end), SAME_LOWER (at the start),
    // explicit ones, and in ceil mode, where the divisor stops at the bottom/right padding.
    add(out, ends(avg(3, 2, 0, include_pad), 1, 1), {1, 3, 5, 6}, 41);  // SAME_UPPER: 5x6 -> 3x3
    add(out, ends(avg(2, 1, 1, include_pad), 0, 0), {2, 2, 6, 5}, 42);  // SAME_LOWER, stride 1
    AvgPool2dParams lopsided = ends(avg(3, 2, 0, include_pad), 2, 0);
    lopsided.kernel_w = 2, lopsided.stride_w = 1, lopsided.pad_w = 1;
    add(out, lopsided, {1, 2, 9, 10}, 43);
    add(out, ends(avg(3, 2, 1, include_pad, true), 0, 2), {1, 2, 6, 7}, 44);
    add(out, ends(avg(3, 2, 0, include_pad, true), 1, 0), {2, 1, 8, 5}, 45);
    // Pads up to kernel - 1 (over PyTorch's kernel/2): windows mostly padding, but never all.
    add(out, avg(3, 1, 2, include_pad), {1, 3, 4, 5}, 46);  // ONNX's averagepool_2d_pads, smaller
    add(out, avg(3, 1, 2, include_pad), {1, 1, 1, 1}, 47);  // a 1x1 image in a 5x5 padded one
    add(out, ends(avg(4, 3, 3, include_pad), 1, 2), {2, 3, 7, 6}, 48);
    add(out, ends(avg(3, 2, 2, include_pad, true), 0, 1), {1, 2, 5, 6}, 49);
  }
  // AlexNet-style pools 55->27, 27->13, 13->6, a padded ResNet-style pool, a ceil-mode one.
  add(out, avg(3, 2, 0, true), {n, 96, 55, 55}, 21, {"alexnet-style", "pool1 as average"});
  add(out, avg(3, 2, 0, true), {2, 256, 27, 27}, 22, {"alexnet-style", "pool2 as average (batch 2)", true, false});
  add(out, avg(3, 2, 0, false), {2, 256, 13, 13}, 23, {"alexnet-style", "pool5 as average (batch 2)", true, false});
  add(out, avg(3, 2, 1, false), {n, 64, 112, 112}, 24, {"resnet-style", "stem pool as average"});
  add(out, avg(3, 2, 1, true, true), {n, 64, 56, 56}, 35, {"resnet-style", "ceil-mode average pool"});
  // Global: tiny shapes, and the ResNet heads.
  add_global(out, {1, 1, 1, 1}, true, 1);
  add_global(out, {1, 3, 1, 1}, false, 2);
  add_global(out, {3, 5, 3, 4}, true, 3);
  add_global(out, {2, 3, 7, 7}, false, 7);
  add_global(out, {2, 3, 3, 5}, true, 8);
  add_global(out, {n, 2048, 7, 7}, true, 4, {"resnet50", "avgpool"});   // 7x7 -> 1
  add_global(out, {2, 2048, 7, 7}, true, 4, {"resnet50", "avgpool (batch 2)", true, false});
  add_global(out, {2, 512, 7, 7}, false, 5, {"resnet18", "avgpool (batch 2)", true, false});
  add_global(out, {2, 64, 8, 8}, true, 6, {"cifar-resnet20", "avgpool (batch 2)", true, false});  // 8x8 -> 1
  add_global_half(out, {2, 3, 3, 5}, 9);
  add_global_half(out, {n, 512, 7, 7}, 10, {"resnet18", "avgpool (fp16)"});
  return out;
}

}  // namespace vknn::cases
