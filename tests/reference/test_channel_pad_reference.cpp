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

TEST_CASE("reference channel_pad: backward matches finite differences") {
  struct Case {
    ChannelPadParams p;
    int n, c, h, w;
  };
  for (const Case& k : {Case{{2, 4, 1}, 1, 2, 3, 3}, Case{{2, 6, 0}, 2, 3, 4, 5}, Case{{3, 3, 0}, 1, 3, 7, 4},
                        Case{{1, 5, 2}, 2, 2, 2, 3}}) {
    CAPTURE(k.p.stride);
    CAPTURE(k.c);
    const Vec x = random_vec(size_t(k.n) * k.c * k.h * k.w, 40 + uint32_t(k.c));
    const Vec r = random_vec(size_t(k.n) * k.p.out_channels * k.p.out_size(k.h) * k.p.out_size(k.w), 41);
    auto loss = [&](const Vec& v) { return dot(channel_pad_forward(k.p, k.n, k.c, k.h, k.w, v), r); };
    CHECK(max_violation(channel_pad_backward(k.p, k.n, k.c, k.h, k.w, r), numeric_gradient(loss, x), 1e-8, 1e-6) ==
          0.0);
  }
}
