// Dropout with its Philox mask: the mask (the forward of ones) equal to the reference's bit
// for bit, the forward out of place and in place, the backward plain and accumulating, at
// tiny and odd sizes, extreme seeds and steps, p = 0, and AlexNet's fc6/fc7 dropout.
#include "vknn/cases/case.h"
#include "vknn/ops/dropout.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase dropout_case(const Shape& s, float rate, uint64_t seed, uint32_t step, std::string model = {},
                    std::string layer = {}, bool bench = true) {
  const DropoutParams p{rate, seed, step, true, {}};
  OpCase c;
  c.name = fmt::format("{} p {} seed {:#x} step {}", s.str(), rate, seed, step);
  c.model = std::move(model), c.layer = std::move(layer), c.bench = bench;
  c.params = p;
  c.seed = uint32_t(seed ^ (seed >> 32)) + step;
  c.tensors = {{"ones", s, uniform(1, 1)}, {"mask", s, uniform()}, {"x", s, uniform()},      {"y", s, uniform()},
               {"x_inplace", s, copy_of("x")}, {"dy", s, uniform()}, {"dx", s, uniform()}, {"dx_acc", s, uniform()}};
  const double b = 2.0 * double(s.bytes());
  c.steps = {
      {"dropout_forward (mask of ones)",
       [p](CommandList& cl, const Views& v) { return record_dropout_forward(cl, p, v.at("ones"), v.at("mask")); }},
      {"dropout_forward",
       [p](CommandList& cl, const Views& v) { return record_dropout_forward(cl, p, v.at("x"), v.at("y")); }, true, 0, b},
      {"dropout_forward (in place)",
       [p](CommandList& cl, const Views& v) {
         return record_dropout_forward(cl, p, v.at("x_inplace"), v.at("x_inplace"));
       }},
      {"dropout_backward",
       [p](CommandList& cl, const Views& v) { return record_dropout_backward(cl, p, v.at("dy"), v.at("dx"), false); },
       true, 0, b},
      {"dropout_backward (accumulate)",
       [p](CommandList& cl, const Views& v) { return record_dropout_backward(cl, p, v.at("dy"), v.at("dx_acc"), true); }},
  };
  // The mask exactly (scale or 0, the same scale rounded to fp32 on both sides).
  c.checks = {{"mask", "mask", {0, 0}}, {"y", "y"}, {"x_inplace", "y"}, {"dx", "dx"}, {"dx_acc", "dx", {}, true}};
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::dropout_apply};
  return c;
}

}  // namespace

std::vector<OpCase> dropout_cases(int64_t n) {
  return {
      dropout_case({1}, 0.5f, 1, 0),
      dropout_case({3}, 0.5f, 2, 1),
      dropout_case({65}, 0.1f, 3, 2),
      dropout_case({5, 7, 3}, 0.9f, ~0ull, 0xffffffffu),
      dropout_case({1000}, 0.0f, 5, 5),
      // AlexNet's dropout before fc7 and fc8 (the same shape), and at batches 2 and 128.
      dropout_case({n, 4096}, 0.5f, 0x9e3779b97f4a7c15ull, 3, "alexnet", "fc6/fc7 dropout"),
      dropout_case({2, 4096}, 0.5f, 0x123456789abcdefull, 7, "alexnet", "fc6/fc7 dropout (batch 2)", false),
      dropout_case({128, 4096}, 0.5f, 42, 100000, "alexnet", "fc6/fc7 dropout (batch 128)", false),
  };
}

}  // namespace vknn::cases
