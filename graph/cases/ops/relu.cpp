// ReLU: forward (also in place) and backward (overwriting, accumulating, in place, dx = dy),
// exact against the reference; the kink at 0 and -0 on purpose.
#include "vknn/cases/case.h"
#include "vknn/ops/relu.h"

namespace vknn::cases {
namespace {

OpCase relu_case(const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {}) {
  OpCase c;
  c.name = s.str();
  c.model = std::move(model), c.layer = std::move(layer);
  c.seed = seed;
  Fill x = uniform(-2, 2);
  x.special = {0.0f, -0.0f};  // the kink: derivative 0
  c.tensors = {{"x", s, x},          {"y", s, uniform()},       {"inplace", s, copy_of("x")},
               {"dy", s, uniform()}, {"dx", s, uniform()},      {"dx_acc", s, uniform()},
               {"g", s, copy_of("dy")}, {"g2", s, copy_of("dy")}};
  const double b = double(s.bytes());
  c.steps = {
      {"relu_forward", [](CommandList& cl, const Views& v) { return record_relu_forward(cl, v.at("x"), v.at("y")); },
       true, 0, 2 * b},
      {"relu_forward (in place)",
       [](CommandList& cl, const Views& v) { return record_relu_forward(cl, v.at("inplace"), v.at("inplace")); }},
      {"relu_backward",
       [](CommandList& cl, const Views& v) { return record_relu_backward(cl, v.at("y"), v.at("dy"), v.at("dx"), false); },
       true, 0, 3 * b},
      {"relu_backward (accumulate)",
       [](CommandList& cl, const Views& v) {
         return record_relu_backward(cl, v.at("y"), v.at("dy"), v.at("dx_acc"), true);
       }},
      {"relu_backward_inplace",
       [](CommandList& cl, const Views& v) { return record_relu_backward_inplace(cl, v.at("y"), v.at("g")); }, true, 0,
       3 * b},
      {"relu_backward (dx = dy)",
       [](CommandList& cl, const Views& v) { return record_relu_backward(cl, v.at("y"), v.at("g2"), v.at("g2"), false); }},
  };
  const Tolerance exact{0, 0};
  c.checks = {{"y", "y", exact},         {"inplace", "y", exact},    {"dx", "dx", exact},
              {"dx_acc", "dx", {}, true}, {"g", "dx", exact},         {"g2", "dx", exact}};
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::relu_forward, ShaderId::relu_backward, ShaderId::relu_backward_inplace};
  return c;
}

}  // namespace

std::vector<OpCase> relu_cases(int64_t n) {
  return {
      relu_case({1}, 1),
      relu_case({3}, 2),
      relu_case({65}, 3),
      relu_case({2, 3, 5, 7}, 4),
      relu_case({2, 4096}, 6),
      relu_case({n, 96, 55, 55}, 5, "alexnet", "conv1"),
      relu_case({n, 4096}, 6, "alexnet", "fc7"),
      relu_case({n, 64, 112, 112}, 7, "resnet50", "conv1"),
  };
}

}  // namespace vknn::cases
