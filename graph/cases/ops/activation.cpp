// The activation family: every kind at odd sizes, forward (also in place) and backward
// (overwriting and accumulating), with each kind's kinks and far tails planted in x, and the
// real layers where networks use them.
#include "vknn/cases/case.h"
#include "vknn/ops/activation.h"

#include <fmt/format.h>

#include <limits>

namespace vknn::cases {
namespace {

OpCase activation_case(const ActivationParams& p, const Shape& s, uint32_t seed, std::string model = {},
                       std::string layer = {}) {
  OpCase c;
  c.name = fmt::format("{} alpha {} beta {} {}", activation_name(p.kind), p.alpha, p.beta, s.str());
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = p;
  c.seed = seed;
  Fill x = uniform(-8, 8);
  // The kinks of every kind, and far tails (exp overflows in the sigmoid's denominator).
  x.special = {-3, 3, 0, 6, -0.5f, 0.25f, 1, -2.5f, 2.5f, -100, 100};
  c.tensors = {{"x", s, x},          {"y", s, uniform()},  {"inplace", s, copy_of("x")},
               {"dy", s, uniform()}, {"dx", s, uniform()}, {"dx_acc", s, uniform()}};
  const double b = double(s.bytes());
  const std::string name = activation_name(p.kind);
  c.steps = {
      {"activation_forward (" + name + ")",
       [p](CommandList& cl, const Views& v) { return record_activation_forward(cl, p, v.at("x"), v.at("y")); }, true,
       0, 2 * b},
      {"activation_forward (in place)",
       [p](CommandList& cl, const Views& v) {
         return record_activation_forward(cl, p, v.at("inplace"), v.at("inplace"));
       }},
      {"activation_backward (" + name + ")",
       [p](CommandList& cl, const Views& v) {
         return record_activation_backward(cl, p, v.at("x"), v.at("dy"), v.at("dx"), false);
       },
       true, 0, 3 * b},
      {"activation_backward (accumulate)",
       [p](CommandList& cl, const Views& v) {
         return record_activation_backward(cl, p, v.at("x"), v.at("dy"), v.at("dx_acc"), true);
       }},
  };
  // exp in fp32 on the device: a few ulp (GLSL's bound is 3 + 2|x| ulp).
  const Tolerance tol{1e-6, 1e-5};
  c.checks = {{"y", "y", tol}, {"inplace", "y", tol}, {"dx", "dx", tol}, {"dx_acc", "dx", tol, true}};
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::activation_forward, ShaderId::activation_backward};
  return c;
}

}  // namespace

std::vector<OpCase> activation_cases(int64_t n) {
  const ActivationParams kinds[] = {
      ActivationParams::sigmoid(),
      ActivationParams::hardsigmoid(),            // PyTorch's
      ActivationParams::hardsigmoid(0.2f, 0.5f),  // ONNX's default
      ActivationParams::hardswish(),
      ActivationParams::silu(),
      ActivationParams::relu6(),
      ActivationParams::clip(-0.5f, 0.25f),
      ActivationParams::clip(-std::numeric_limits<float>::infinity(), 1.0f),  // Clip with only a max
      ActivationParams::leaky_relu(0.01f),
      ActivationParams::leaky_relu(-0.3f),  // a negative slope folds the negative half over
      ActivationParams::tanh(),
  };
  std::vector<OpCase> out;
  uint32_t seed = 1;
  for (const auto& p : kinds)
    for (const Shape& s : {Shape{1}, Shape{3}, Shape{65}, Shape{2, 3, 5, 7}}) out.push_back(activation_case(p, s, seed++));
  out.push_back(activation_case(ActivationParams::relu6(), {n, 96, 56, 56}, 101, "mobilenet_v2", "features.2 expand"));
  out.push_back(activation_case(ActivationParams::hardswish(), {2 * n, 16, 56, 56}, 102, "mobilenet_v3_small",
                                "stem (112x112 input)"));
  out.push_back(activation_case(ActivationParams::silu(), {n, 32, 112, 112}, 103, "efficientnet_b0", "stem"));
  out.push_back(activation_case(ActivationParams::sigmoid(), {2 * n, 96, 1, 1}, 104, "mobilenet_v3_small", "se gate"));
  out.push_back(
      activation_case(ActivationParams::hardsigmoid(), {2 * n, 576, 1, 1}, 105, "mobilenet_v3_small", "se gate (576)"));
  out.push_back(activation_case(ActivationParams::tanh(), {2 * n, 64, 28, 28}, 106, "tanh", "64x28x28"));
  return out;
}

}  // namespace vknn::cases
