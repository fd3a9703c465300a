#include "channel_shuffle.h"

#include "vknn/ops/channel_shuffle.h"

namespace vknn::ref {
namespace {

// Calls f(input index, output index) for every element: y (N, C/g, g, HW) is x (N, g, C/g, HW)
// with axes 1 and 2 swapped.
template <class F>
void for_each_pair(int groups, int n, int c, int hw, F&& f) {
  const int per = c / groups;
  for (int b = 0; b < n; ++b)
    for (int gi = 0; gi < groups; ++gi)
      for (int j = 0; j < per; ++j)
        for (int s = 0; s < hw; ++s) {
          const size_t in = ((size_t(b) * groups + gi) * per + j) * hw + s;
          const size_t out = ((size_t(b) * per + j) * groups + gi) * hw + s;
          f(in, out);
        }
}

}  // namespace

Vec channel_shuffle_forward(int groups, int n, int c, int hw, const Vec& x) {
  Vec y(x.size());
  for_each_pair(groups, n, c, hw, [&](size_t in, size_t out) { y[out] = x[in]; });
  return y;
}

Vec channel_shuffle_backward(int groups, int n, int c, int hw, const Vec& dy) {
  Vec dx(dy.size(), 0.0);
  for_each_pair(groups, n, c, hw, [&](size_t in, size_t out) { dx[in] += dy[out]; });
  return dx;
}

Tensors channel_shuffle_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const int g = int(std::any_cast<const vknn::ChannelShuffleParams&>(c.params).groups);
  const Shape& s = c.shape("x");
  const int n = int(s[0]), ch = int(s[1]), hw = int(s[2] * s[3]);
  return {{"y", channel_shuffle_forward(g, n, ch, hw, in.at("x"))},
          {"dx", channel_shuffle_backward(g, n, ch, hw, in.at("dy"))}};
}

}  // namespace vknn::ref
