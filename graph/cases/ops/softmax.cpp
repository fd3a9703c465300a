// Softmax and log-softmax: one axis at the front, middle and end of odd shapes, the flattened
// form (ONNX before opset 13), a one-element axis, rows of logits far beyond exp's fp32 range
// (the maximum must be subtracted), and the real shapes: a classifier's (N,1000) output, a
// channel softmax over (N,C,H,W) and a transformer's attention rows.
#include "vknn/cases/case.h"
#include "vknn/ops/softmax.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase softmax_case(const SoftmaxParams& p, const Shape& s, uint32_t seed, std::string model = {},
                    std::string layer = {}) {
  OpCase c;
  const std::string kind = p.log ? "log_softmax" : "softmax";
  c.name = fmt::format("{} {} axis {}{}", kind, s.str(), p.axis, p.flatten ? " flattened" : "");
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = p;
  c.seed = seed;
  Fill x = uniform(-8, 8);
  // exp(100) overflows fp32: only a row with its maximum subtracted survives these.
  x.special = {100, 90, -100, 99.5f};
  c.tensors = {{"x", s, x}, {"y", s, uniform()}, {"dy", s, uniform()}, {"dx", s, uniform()}, {"dx_acc", s, uniform()}};
  const double b = double(s.bytes());
  c.steps = {
      {kind + "_forward",
       [p](CommandList& cl, const Views& v) { return record_softmax_forward(cl, p, v.at("x"), v.at("y")); }, true, 0,
       2 * b},
      {kind + "_backward",
       [p](CommandList& cl, const Views& v) {
         return record_softmax_backward(cl, p, v.at("y"), v.at("dy"), v.at("dx"), false);
       },
       true, 0, 3 * b},
      {kind + "_backward (accumulate)",
       [p](CommandList& cl, const Views& v) {
         return record_softmax_backward(cl, p, v.at("y"), v.at("dy"), v.at("dx_acc"), true);
       }},
  };
  // exp in fp32 (a few ulp) and fp32 sums over the axis.
  const Tolerance tol{2e-6, 2e-5};
  c.checks = {{"y", "y", tol}, {"dx", "dx", tol}, {"dx_acc", "dx", tol, true}};
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  const std::vector<ShaderId> per_invocation = p.log ? std::vector{ShaderId::log_softmax_forward,
                                                                     ShaderId::log_softmax_backward}
                                                      : std::vector{ShaderId::softmax_forward, ShaderId::softmax_backward};
  const std::vector<ShaderId> per_subgroup =
      p.log ? std::vector{ShaderId::log_softmax_forward_subgroup, ShaderId::log_softmax_backward_subgroup}
            : std::vector{ShaderId::softmax_forward_subgroup, ShaderId::softmax_backward_subgroup};
  c.shaders = per_invocation;
  c.shaders.insert(c.shaders.end(), per_subgroup.begin(), per_subgroup.end());
  c.shaders_on = [p, s, per_invocation, per_subgroup](Context& ctx) {
    const auto l = softmax_layout("softmax", p, s);
    return l.ok() && softmax_subgroup_rows(ctx.profile(), l.value()) ? per_subgroup : per_invocation;
  };
  return c;
}

}  // namespace

std::vector<OpCase> softmax_cases(int64_t n) {
  struct Odd {
    Shape s;
    int64_t axis;
    bool flatten;
  };
  const Odd odd[] = {
      {{1}, 0, false},           {{1, 1}, -1, false},       {{4, 1}, 1, false},        {{3, 5}, 1, false},
      {{3, 5}, 0, false},        {{65, 3}, 0, false},       {{2, 3, 5, 7}, 1, false},  {{2, 3, 5, 7}, -1, false},
      {{2, 3, 5, 7}, 2, false},  {{2, 3, 5, 7}, 0, false},  {{2, 3, 5, 7}, 1, true},   {{2, 3, 5, 7}, 0, true},
      {{1, 3, 4}, -2, true},     {{3, 300}, 1, false},
  };
  std::vector<OpCase> out;
  uint32_t seed = 1;
  for (bool log : {false, true})
    for (const Odd& o : odd) out.push_back(softmax_case({o.axis, log, o.flatten}, o.s, seed++));
  for (bool log : {false, true}) {
    const uint32_t s = log ? 200 : 100;
    std::vector<OpCase> real = {
        softmax_case({1, log, false}, {n, 1000}, s + 1, "imagenet classifier", "(N,1000) output"),
        softmax_case({1, log, false}, {2 * n, 21, 64, 64}, s + 2, "segmentation", "21 classes over (N,21,64,64)"),
        softmax_case({-1, log, false}, {n, 12, 197, 197}, s + 3, "vit_b_16", "attention (N,12,197,197)"),
        // Rows longer than one invocation's loops may run on lavapipe (three sweeps of 70,001
        // elements): they must spread over a subgroup, not be cut short.
        softmax_case({1, log, false}, {2, 70001}, s + 4, "long rows", "(2,70001)")};
    // The gradients' math is checked by central differences on the odd shapes ((3,300) for
    // long rows). At batch 1 the classifier's 1000 elements would be small enough too, but the
    // loss there sums 1000 log-probabilities near -7, and its rounding (~1e-13) over the step
    // 2e-6 is beyond that check's 1e-7.
    for (OpCase& c : real) {
      c.gradients.clear();
      c.loss.clear();
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace vknn::cases
