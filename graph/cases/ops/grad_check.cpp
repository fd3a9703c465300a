// Gradient overflow check: two tensors checked into one flag, finite (0), with an inf in the
// second, with a NaN in the first (1), at odd sizes and at ResNet-50's largest gradient.
#include "vknn/cases/case.h"
#include "vknn/ops/grad_check.h"

#include <limits>

namespace vknn::cases {
namespace {

OpCase grad_check_case(const Shape& a, const Shape& b, float bad_a, float bad_b, uint32_t seed, std::string model = {},
                       std::string layer = {}) {
  OpCase c;
  c.name = a.str() + " " + b.str() + (bad_a != 0 ? " nan" : "") + (bad_b != 0 ? " inf" : "");
  c.model = std::move(model), c.layer = std::move(layer);
  c.seed = seed;
  Fill fa = uniform(-1e30f, 1e30f), fb = uniform();
  if (bad_a != 0) fa.special = {bad_a};
  if (bad_b != 0) fb.special = {0.0f, bad_b};
  c.tensors = {{"x0", a, fa}, {"x1", b, fb}, {"flag", Shape{1}, uniform(5, 6)}};  // the flag starts dirty
  c.steps = {{"grad_check",
              [](CommandList& cl, const Views& v) {
                const TensorView xs[] = {v.at("x0"), v.at("x1")};
                return record_grad_check(cl, xs, v.at("flag"));
              },
              true, 0, 4.0 * double(a.numel() + b.numel())}};
  c.checks = {{"flag", "flag", {0, 0}}};
  c.shaders = {ShaderId::grad_check};
  return c;
}

}  // namespace

std::vector<OpCase> grad_check_cases(int64_t) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  return {
      grad_check_case({1}, {1}, 0, 0, 1),
      grad_check_case({3}, {65}, 0, 0, 2),
      grad_check_case({3}, {65}, 0, inf, 3),
      grad_check_case({3}, {65}, 0, -inf, 4),
      grad_check_case({65}, {1}, nan, 0, 5),
      grad_check_case({2048, 1000}, {1000}, 0, 0, 6, "resnet50", "fc weights and bias"),
      grad_check_case({2048, 1000}, {1000}, nan, inf, 7, "resnet50", "fc weights and bias"),
  };
}

}  // namespace vknn::cases
