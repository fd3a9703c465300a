// AdamW over four steps with fresh gradients of varied scale (so that sqrt(v) spans several
// orders of magnitude), torch's defaults and other settings, at odd sizes and real parameter
// tensors; the benchmark times one step over all of ResNet-50's parameters.
#include "vknn/cases/case.h"
#include "vknn/ops/adamw.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

constexpr int kSteps = 4;

OpCase adamw_case(const AdamWParams& p, const Shape& s, uint32_t seed, std::string model = {},
                  std::string layer = {}, bool test = true) {
  OpCase c;
  c.name = fmt::format("lr {} betas ({}, {}) eps {} wd {} {}", p.learning_rate, p.beta1, p.beta2, p.eps,
                       p.weight_decay, s.str());
  c.model = std::move(model), c.layer = std::move(layer);
  c.test = test;
  c.params = p;
  c.seed = seed;
  c.tensors = {{"w", s, uniform()}, {"m", s, zeros()}, {"v", s, zeros()}};
  for (int t = 1; t <= kSteps; ++t) {
    const std::string g = "g" + std::to_string(t);
    c.tensors.push_back({g, s, uniform()});
    AdamWParams q = p;
    q.step = uint32_t(t);
    c.steps.push_back({t == 1 ? "adamw_update" : fmt::format("adamw_update (step {})", t),
                       [q, g](CommandList& cl, const Views& v) {
                         return record_adamw_update(cl, q, v.at("w"), v.at(g), v.at("m"), v.at("v"));
                       },
                       t == 1, 0, 7.0 * double(s.bytes())});
  }
  c.adjust = [](std::map<std::string, std::vector<float>>& t) {
    for (int step = 1; step <= kSteps; ++step) {
      auto& g = t.at("g" + std::to_string(step));
      for (size_t i = 0; i < g.size(); ++i) g[i] *= float(1 << (i % 7)) * 0.01f;
    }
  };
  c.checks = {{"w", "w", {1e-6, 1e-5}}, {"m", "m", {1e-7, 1e-5}}, {"v", "v", {1e-10, 1e-5}}};  // after four steps
  c.shaders = {ShaderId::adamw_update};
  return c;
}

}  // namespace

std::vector<OpCase> adamw_cases(int64_t) {
  const AdamWParams defaults;  // torch's: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01
  return {
      adamw_case(defaults, {1}, 1),
      adamw_case(defaults, {3}, 2),
      adamw_case({0.05f, 0.8, 0.99, 1e-6f, 0.1f, 1, {}}, {65}, 3),
      adamw_case(defaults, {96, 3, 11, 11}, 4, "alexnet", "conv1 weights"),
      adamw_case({0.01f, 0.9, 0.999, 1e-8f, 5e-4f, 1, {}}, {1000, 512}, 5, "resnet18", "fc weights"),
      // One step over ResNet-50's 25.6M parameters: too large for the reference in a test.
      adamw_case(defaults, {25557032}, 20, "resnet50", "all parameters", false),
  };
}

}  // namespace vknn::cases
