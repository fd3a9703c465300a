// Cast between fp32 and fp16 storage: x (fp32) -> fp16 -> y (fp32) equals x rounded to binary16
// (within one fp16 step: the narrowing's rounding mode is the driver's), at odd sizes, with
// zeros, the largest finite fp16 and its subnormals, and at ResNet-18 layer sizes.
#include "vknn/cases/case.h"
#include "vknn/ops/cast.h"

namespace vknn::cases {
namespace {

OpCase cast_case(const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {}) {
  OpCase c;
  c.name = s.str();
  c.model = std::move(model), c.layer = std::move(layer);
  c.seed = seed;
  Fill x = uniform(-4, 4);
  // zeros, the largest finite fp16, a subnormal fp16 (2^-20) and the smallest normal (2^-14)
  x.special = {0.0f, -0.0f, 65504.0f, -65504.0f, 0x1p-20f, 0x1p-14f};
  c.tensors = {{"x", s, x}, {"h", s, zeros()}, {"y", s, uniform()}};
  const double b = double(s.numel());
  c.steps = {cast_step("x", "h", true), cast_step("h", "y", false)};
  c.steps[0].bench = true, c.steps[0].bytes = 6 * b;
  c.steps[1].bench = true, c.steps[1].bytes = 6 * b;
  // One fp16 step: 2^-10 relative for normal values, 2^-24 absolute for subnormal ones.
  c.checks = {{"y", "y", {0x1p-24, 0x1p-10}}};
  c.shaders = {ShaderId::cast_to_f16, ShaderId::cast_to_f32};
  return c;
}

}  // namespace

std::vector<OpCase> cast_cases(int64_t n) {
  return {
      cast_case({1}, 1),
      cast_case({3}, 2),
      cast_case({65}, 3),
      cast_case({2, 3, 5, 7}, 4),
      cast_case({n, 3, 224, 224}, 5, "resnet18", "input"),
      cast_case({n, 64, 112, 112}, 6, "resnet18", "conv1"),
  };
}

}  // namespace vknn::cases
