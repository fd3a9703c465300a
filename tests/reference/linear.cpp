#include "linear.h"

#include <algorithm>

namespace vknn::ref {

Vec linear_forward(int n, int in, int out, const Vec& x, const Vec& w, const Vec& b, bool relu) {
  Vec y(size_t(n) * out);
  for (int r = 0; r < n; ++r)
    for (int o = 0; o < out; ++o) {
      double s = b.empty() ? 0.0 : b[size_t(o)];
      for (int i = 0; i < in; ++i) s += x[size_t(r) * in + i] * w[size_t(o) * in + i];
      y[size_t(r) * out + o] = relu ? std::max(s, 0.0) : s;
    }
  return y;
}

Vec linear_backward_data(int n, int in, int out, const Vec& dy, const Vec& w) {
  Vec dx(size_t(n) * in, 0.0);
  for (int r = 0; r < n; ++r)
    for (int o = 0; o < out; ++o) {
      const double g = dy[size_t(r) * out + o];
      for (int i = 0; i < in; ++i) dx[size_t(r) * in + i] += g * w[size_t(o) * in + i];
    }
  return dx;
}

Vec linear_backward_weight(int n, int in, int out, const Vec& dy, const Vec& x) {
  Vec dw(size_t(out) * in, 0.0);
  for (int r = 0; r < n; ++r)
    for (int o = 0; o < out; ++o) {
      const double g = dy[size_t(r) * out + o];
      for (int i = 0; i < in; ++i) dw[size_t(o) * in + i] += g * x[size_t(r) * in + i];
    }
  return dw;
}

Vec linear_backward_bias(int n, int out, const Vec& dy) { return channel_sum(n, out, 1, dy); }

Vec channel_sum(int outer, int channels, int inner, const Vec& x) {
  Vec s(size_t(channels), 0.0);
  for (int o = 0; o < outer; ++o)
    for (int c = 0; c < channels; ++c)
      for (int i = 0; i < inner; ++i) s[size_t(c)] += x[(size_t(o) * channels + c) * inner + i];
  return s;
}

}  // namespace vknn::ref
