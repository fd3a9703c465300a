// ReLU: forward (also in place) and backward (overwriting, accumulating, in place, dx = dy),
// exact against the reference; the kink at 0 and -0 on purpose. The fp16 variants likewise.
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

// The fp16 variants: the forward on fp16 x and y (relu_forward_f16), and the backward from
// that fp16 y with fp32 gradients (relu_backward_f16, relu_backward_inplace_f16), as fp16
// training runs them. x in multiples of 1/64, which fp16 holds exactly: every result is exact.
OpCase relu_half_case(const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {}) {
  OpCase c;
  c.name = "fp16 " + s.str();
  c.model = std::move(model), c.layer = std::move(layer);
  c.seed = seed;
  Fill x = uniform(-2, 2);
  x.quantize = 64;
  x.special = {0.0f, -0.0f};
  c.tensors = {{"x", s, x},           {"y", s, uniform()},      {"dy", s, uniform()}, {"dx", s, uniform()},
               {"dx_acc", s, uniform()}, {"g", s, copy_of("dy")}, {"x16", s, zeros()}, {"y16", s, zeros()}};
  const double b = double(s.numel());
  c.steps = {cast_step("x", "x16", true),
             {"relu_forward (fp16)",
              [](CommandList& cl, const Views& v) {
                return record_relu_forward(cl, as_f16(v.at("x16")), as_f16(v.at("y16")));
              },
              true, 0, 4 * b},
             cast_step("y16", "y", false),
             {"relu_backward (fp16 y)",
              [](CommandList& cl, const Views& v) {
                return record_relu_backward(cl, as_f16(v.at("y16")), v.at("dy"), v.at("dx"), false);
              },
              true, 0, 10 * b},
             {"relu_backward (fp16 y, accumulate)",
              [](CommandList& cl, const Views& v) {
                return record_relu_backward(cl, as_f16(v.at("y16")), v.at("dy"), v.at("dx_acc"), true);
              }},
             {"relu_backward_inplace (fp16 y)",
              [](CommandList& cl, const Views& v) {
                return record_relu_backward_inplace(cl, as_f16(v.at("y16")), v.at("g"));
              },
              true, 0, 10 * b}};
  const Tolerance exact{0, 0};
  c.checks = {{"y", "y", exact}, {"dx", "dx", exact}, {"dx_acc", "dx", {}, true}, {"g", "dx", exact}};
  c.shaders = {ShaderId::cast_to_f16, ShaderId::relu_forward_f16, ShaderId::cast_to_f32, ShaderId::relu_backward_f16,
               ShaderId::relu_backward_inplace_f16};
  return c;
}

}  // namespace

std::vector<OpCase> relu_cases(int64_t n) {
  return {
      relu_half_case({1}, 11),
      relu_half_case({3}, 12),
      relu_half_case({65}, 13),
      relu_half_case({2, 3, 5, 7}, 14),
      relu_half_case({n, 16, 32, 32}, 15, "cifar-resnet20", "layer1.0.relu (fp16)"),
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
