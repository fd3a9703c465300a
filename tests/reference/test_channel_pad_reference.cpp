// The channel-pad reference: values by hand (the ResNet option-A shortcut 16 -> 32 channels,
// stride 2, and odd sizes), and the backward against finite differences.
#include "channel_pad.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference channel_pad: strided identity into the first channels, zeros elsewhere") {
  // x (1,2,3,3) = 0..17; stride 2 keeps rows/columns 0 and 2; 4 output channels at offset 1.
  Vec x(18);
  for (size_t i = 0; i < x.size(); ++i) x[i] = double(i);
  const ChannelPadParams p{2, 4, 1};
  const Vec y = channel_pad_forward(p, 1, 2, 3, 3, x);
  REQUIRE(y.size() == 16);  // (1,4,2,2)
  const Vec want{0, 0, 0, 0, 0, 2, 6, 8, 9, 11, 15, 17, 0, 0, 0, 0};
  CHECK(y == want);
  // Stride 1, no extra channels: the identity.
  CHECK(channel_pad_forward({1, 2, 0}, 1, 2, 3, 3, x) == x);
}

VKNN_CHECK_CASE_GRADIENTS(channel_pad, channel_pad_case_outputs)
