// The strided identity with zero-padded channels (CIFAR ResNet's option-A shortcut): forward
// into a y that starts non-zero (the padded channels must be written), backward plain and
// accumulating, exact, at tiny and odd shapes and the CIFAR ResNet shortcuts.
#include "vknn/cases/case.h"
#include "vknn/ops/channel_pad.h"

#include <fmt/format.h>

namespace vknn::cases {
namespace {

OpCase pad_case(int stride, int64_t out_channels, int64_t offset, const Shape& s, uint32_t seed,
                std::string model = {}, std::string layer = {}) {
  ChannelPadParams p;
  p.stride = stride, p.out_channels = out_channels, p.channel_offset = offset;
  const Shape y = *channel_pad_output_shape("channel_pad", p, s);
  OpCase c;
  c.name = fmt::format("{} stride {} to {} channels at {}", s.str(), stride, out_channels, offset);
  c.model = std::move(model), c.layer = std::move(layer);
  c.params = p;
  c.seed = seed;
  c.tensors = {{"x", s, uniform(-2, 2)}, {"y", y, uniform()}, {"dy", y, uniform()}, {"dx", s, uniform()},
               {"dx_acc", s, uniform()}};
  const double b = double(s.bytes() + y.bytes());
  c.steps = {
      {"channel_pad_forward",
       [p](CommandList& cl, const Views& v) { return record_channel_pad_forward(cl, p, v.at("x"), v.at("y")); }, true,
       0, b},
      {"channel_pad_backward",
       [p](CommandList& cl, const Views& v) { return record_channel_pad_backward(cl, p, v.at("dy"), v.at("dx"), false); },
       true, 0, b},
      {"channel_pad_backward (accumulate)",
       [p](CommandList& cl, const Views& v) {
         return record_channel_pad_backward(cl, p, v.at("dy"), v.at("dx_acc"), true);
       }},
  };
  c.checks = {{"y", "y", {0, 0}}, {"dx", "dx", {0, 0}}, {"dx_acc", "dx", {}, true}};  // copies and zeros: exact
  c.gradients = {{"x", "dx"}};
  c.loss = {{"y", "dy"}};
  c.shaders = {ShaderId::channel_pad_forward, ShaderId::channel_pad_backward};
  return c;
}

}  // namespace

std::vector<OpCase> channel_pad_cases(int64_t n) {
  return {
      pad_case(1, 1, 0, {1, 1, 1, 1}, 1),
      pad_case(2, 3, 0, {1, 1, 1, 1}, 2),
      pad_case(2, 5, 1, {2, 3, 7, 9}, 3),
      pad_case(3, 4, 0, {1, 3, 5, 6}, 4),
      pad_case(1, 7, 3, {3, 2, 4, 3}, 5),
      pad_case(2, 2, 0, {1, 2, 2, 17}, 6),
      pad_case(2, 4, 1, {1, 2, 3, 3}, 7),
      pad_case(3, 3, 0, {1, 3, 7, 4}, 8),
      // The CIFAR ResNet option-A shortcuts: 16 -> 32 at 32x32, 32 -> 64 at 16x16.
      pad_case(2, 32, 0, {2 * n, 16, 32, 32}, 11, "cifar-resnet20", "layer2 shortcut (batch 2n)"),
      pad_case(2, 64, 0, {2 * n, 32, 16, 16}, 12, "cifar-resnet20", "layer3 shortcut (batch 2n)"),
      pad_case(2, 64, 16, {n, 32, 16, 16}, 13, "cifar-resnet20", "layer3 shortcut, zeros on both sides"),
  };
}

}  // namespace vknn::cases
