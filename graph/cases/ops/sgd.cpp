// SGD: both rules (the AlexNet paper's and PyTorch's) over three steps with fresh gradients,
// at odd sizes and real parameter tensors; the benchmark times one step over all of
// ResNet-50's parameters.
#include "vknn/cases/case.h"
#include "vknn/ops/sgd.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase sgd_case(SgdRule rule, const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {},
                bool test = true) {
  const SgdParams p{rule, 0.05f, 0.9f, 5e-4f, {}};
  const char* rule_name = rule == SgdRule::sgd_paper ? "paper" : "pytorch";
  OpCase c;
  c.name = fmt::format("{} {}", rule_name, s.str());
  c.model = std::move(model), c.layer = std::move(layer);
  c.test = test;
  c.params = p;
  c.seed = seed;
  c.tensors = {{"w", s, uniform()}, {"v", s, uniform(-0.1f, 0.1f)}, {"g0", s, uniform()}, {"g1", s, uniform()},
               {"g2", s, uniform()}};
  auto step = [p](const char* g) {
    return [p, g](CommandList& cl, const Views& v) { return record_sgd_update(cl, p, v.at("w"), v.at(g), v.at("v")); };
  };
  c.steps = {{fmt::format("sgd_update ({})", rule_name), step("g0"), true, 0, 5.0 * double(s.bytes())},
             {"sgd_update (second step)", step("g1")},
             {"sgd_update (third step)", step("g2")}};
  c.checks = {{"w", "w"}, {"v", "v"}};  // after three steps
  c.shaders = {ShaderId::sgd_update};
  return c;
}

}  // namespace

std::vector<OpCase> sgd_cases(int64_t) {
  std::vector<OpCase> out;
  uint32_t seed = 1;
  for (auto rule : {SgdRule::sgd_paper, SgdRule::sgd_pytorch}) {
    out.push_back(sgd_case(rule, {1}, seed++));
    out.push_back(sgd_case(rule, {3}, seed++));
    out.push_back(sgd_case(rule, {65}, seed++));
    out.push_back(sgd_case(rule, {1000, 4096}, seed++, "alexnet", "fc8 weights"));
    out.push_back(sgd_case(rule, {96, 3, 11, 11}, seed++, "alexnet", "conv1 weights"));
  }
  // One step over ResNet-50's 25.6M parameters: too large for the reference in a test.
  out.push_back(sgd_case(SgdRule::sgd_paper, {25557032}, 20, "resnet50", "all parameters", false));
  return out;
}

}  // namespace vknn::cases
