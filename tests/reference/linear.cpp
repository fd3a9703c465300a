#include "linear.h"

#include "vknn/ops/linear.h"

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

Tensors linear_case_outputs(const cases::OpCase& c, const Tensors& in) {
  if (in.count("sum")) {
    const Shape& s = c.shape("x");
    const int64_t inner = s.rank() == 4 ? s[2] * s[3] : 1;
    return {{"sum", channel_sum(int(s[0]), int(s[1]), int(inner), in.at("x"))}, {"dx", Vec(in.at("x").size(), 1.0)}};
  }
  const auto& p = std::any_cast<const vknn::LinearParams&>(c.params);
  const Shape& xs = c.shape("x");
  const int n = int(xs[0]), inputs = int(xs[1]), outputs = int(c.shape("weight")[0]);
  const auto bias = in.find("bias");
  Tensors out{{"y", linear_forward(n, inputs, outputs, in.at("x"), in.at("weight"),
                                   bias == in.end() ? Vec{} : bias->second, p.relu)}};
  if (const auto dy = in.find("dy"); dy != in.end()) {
    out["dx"] = linear_backward_data(n, inputs, outputs, dy->second, in.at("weight"));
    out["dweight"] = linear_backward_weight(n, inputs, outputs, dy->second, in.at("x"));
    out["dbias"] = linear_backward_bias(n, outputs, dy->second);
  }
  return out;
}

}  // namespace vknn::ref
