#include "lrn.h"

#include "vknn/ops/lrn.h"

#include <algorithm>
#include <cmath>

namespace vknn::ref {

LrnForward lrn_forward(const LrnParams& p, int n, int c, int h, int w, const Vec& x) {
  const size_t hw = size_t(h) * w;
  const int half = p.size / 2;
  LrnForward out{Vec(x.size()), Vec(x.size())};
  for (int in = 0; in < n; ++in)
    for (int ic = 0; ic < c; ++ic)
      for (size_t s = 0; s < hw; ++s) {
        double sq = 0;
        for (int j = std::max(0, ic - half); j <= std::min(c - 1, ic + half); ++j) {
          const double v = x[(size_t(in) * c + j) * hw + s];
          sq += v * v;
        }
        const size_t i = (size_t(in) * c + ic) * hw + s;
        out.scale[i] = p.k + p.alpha * sq;
        out.y[i] = x[i] * std::pow(out.scale[i], -p.beta);
      }
  return out;
}

Vec lrn_backward(const LrnParams& p, int n, int c, int h, int w, const Vec& x, const Vec& scale, const Vec& dy) {
  // Scatter form (the GPU gathers): output j's window holds c, and
  //   dy_j/dx_c = [c == j] scale_j^-beta - 2 alpha beta x_j x_c scale_j^(-beta-1).
  const size_t hw = size_t(h) * w;
  const int half = p.size / 2;
  Vec dx(x.size(), 0.0);
  for (int in = 0; in < n; ++in)
    for (int jc = 0; jc < c; ++jc)
      for (size_t s = 0; s < hw; ++s) {
        const size_t j = (size_t(in) * c + jc) * hw + s;
        dx[j] += dy[j] * std::pow(scale[j], -p.beta);
        const double t = -2 * p.alpha * p.beta * dy[j] * x[j] * std::pow(scale[j], -p.beta - 1);
        for (int ic = std::max(0, jc - half); ic <= std::min(c - 1, jc + half); ++ic) {
          const size_t i = (size_t(in) * c + ic) * hw + s;
          dx[i] += t * x[i];
        }
      }
  return dx;
}

Tensors lrn_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::LrnParams&>(c.params);
  const Shape& s = c.shape("x");
  const LrnParams rp{p.size, p.alpha, p.beta, p.k};
  const int n = int(s[0]), ch = int(s[1]), h = int(s[2]), w = int(s[3]);
  auto f = lrn_forward(rp, n, ch, h, w, in.at("x"));
  Vec dx = lrn_backward(rp, n, ch, h, w, in.at("x"), f.scale, in.at("dy"));
  return {{"y", std::move(f.y)}, {"scale", std::move(f.scale)}, {"dx", std::move(dx)}};
}

}  // namespace vknn::ref
