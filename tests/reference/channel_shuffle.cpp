#include "channel_shuffle.h"

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

}  // namespace vknn::ref
