// Channel shuffle: forward and backward (plain and accumulating), exact copies, at tiny and odd
// shapes (groups == C is the identity) and ShuffleNet V2 x0.5's shuffles.
#include "vknn/cases/case.h"
#include "vknn/ops/channel_shuffle.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase shuffle_case(int64_t groups, const Shape& s, uint32_t seed, std::string model = {}, std::string layer = {}) {
  ChannelShuffleParams p;
  p.groups = groups;
  OpCase c;
  c.name = fmt::format("{} groups {}", s.str(), groups);
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = p;
  c.seed = seed;
  c.tensors = {{"x", s, uniform(-2, 2)}, {"y", s, uniform()}, {"dy", s, uniform()}, {"dx", s, uniform()},
               {"dx_acc", s, uniform()}};
  const double b = double(s.bytes());
  c.steps = {
      {"channel_shuffle_forward",
       [p](CommandList& cl, const Views& v) { return record_channel_shuffle_forward(cl, p, v.at("x"), v.at("y")); },
       true, 0, 2 * b},
      {"channel_shuffle_backward",
       [p](CommandList& cl, const Views& v) {
         return record_channel_shuffle_backward(cl, p, v.at("dy"), v.at("dx"), false);
       },
       true, 0, 2 * b},
      {"channel_shuffle_backward (accumulate)",
       [p](CommandList& cl, const Views& v) {
         return record_channel_shuffle_backward(cl, p, v.at("dy"), v.at("dx_acc"), true);
       }},
  };
  c.checks = {{"y", "y", {0, 0}}, {"dx", "dx", {0, 0}}, {"dx_acc", "dx", {}, true}};  // copies: exact
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::channel_shuffle};
  return c;
}

}  // namespace

std::vector<OpCase> channel_shuffle_cases(int64_t n) {
  return {
      shuffle_case(1, {1, 1, 1, 1}, 1),
      shuffle_case(2, {1, 2, 1, 1}, 2),
      shuffle_case(3, {2, 9, 5, 7}, 3),
      shuffle_case(2, {3, 6, 1, 1}, 4),
      shuffle_case(5, {1, 5, 3, 3}, 5),  // groups == C: the identity
      shuffle_case(4, {2, 12, 17, 3}, 6),
      shuffle_case(4, {1, 8, 3, 1}, 7),
      // ShuffleNet V2 x0.5 at 224: 48 channels at 28, 96 at 14, 192 at 7.
      shuffle_case(2, {2 * n, 48, 28, 28}, 11, "shufflenet_v2_x0_5", "stage2 shuffle (batch 2n)"),
      shuffle_case(2, {n, 96, 14, 14}, 12, "shufflenet_v2_x0_5", "stage3 shuffle"),
      shuffle_case(2, {2 * n, 192, 7, 7}, 13, "shufflenet_v2_x0_5", "stage4 shuffle (batch 2n)"),
  };
}

}  // namespace vknn::cases
