#include "channel_pad.h"

#include "vknn/ops/channel_pad.h"

namespace vknn::ref {

Vec channel_pad_forward(const ChannelPadParams& p, int n, int c, int h, int w, const Vec& x) {
  const int co = p.out_channels, ho = p.out_size(h), wo = p.out_size(w);
  Vec y(size_t(n) * co * ho * wo, 0.0);
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int i = 0; i < ho; ++i)
        for (int j = 0; j < wo; ++j)
          y[((size_t(b) * co + ch + p.offset) * ho + i) * wo + j] =
              x[((size_t(b) * c + ch) * h + i * p.stride) * w + j * p.stride];
  return y;
}

Vec channel_pad_backward(const ChannelPadParams& p, int n, int c, int h, int w, const Vec& dy) {
  const int co = p.out_channels, ho = p.out_size(h), wo = p.out_size(w);
  Vec dx(size_t(n) * c * h * w, 0.0);
  for (int b = 0; b < n; ++b)
    for (int ch = 0; ch < c; ++ch)
      for (int i = 0; i < ho; ++i)
        for (int j = 0; j < wo; ++j)
          dx[((size_t(b) * c + ch) * h + i * p.stride) * w + j * p.stride] +=
              dy[((size_t(b) * co + ch + p.offset) * ho + i) * wo + j];
  return dx;
}

Tensors channel_pad_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::ChannelPadParams&>(c.params);
  const ChannelPadParams rp{p.stride, int(p.out_channels), int(p.channel_offset)};
  const Shape& s = c.shape("x");
  const int n = int(s[0]), ch = int(s[1]), h = int(s[2]), w = int(s[3]);
  return {{"y", channel_pad_forward(rp, n, ch, h, w, in.at("x"))},
          {"dx", channel_pad_backward(rp, n, ch, h, w, in.at("dy"))}};
}

}  // namespace vknn::ref
