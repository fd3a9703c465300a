#include "softmax.h"

#include "vknn/ops/softmax.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace vknn::ref {

Vec softmax_forward(const SoftmaxShape& s, bool log, const Vec& x) {
  Vec y(x.size());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const auto at = [&](int64_t k) { return size_t((o * s.k + k) * s.inner + i); };
      double m = x[at(0)];
      for (int64_t k = 1; k < s.k; ++k) m = std::max(m, x[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < s.k; ++k) sum += std::exp(x[at(k)] - m);
      for (int64_t k = 0; k < s.k; ++k)
        y[at(k)] = log ? (x[at(k)] - m) - std::log(sum) : std::exp(x[at(k)] - m) / sum;
    }
  return y;
}

Vec softmax_backward(const SoftmaxShape& s, bool log, const Vec& y, const Vec& dy) {
  Vec dx(y.size());
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const auto at = [&](int64_t k) { return size_t((o * s.k + k) * s.inner + i); };
      double d = 0;
      for (int64_t k = 0; k < s.k; ++k) d += log ? dy[at(k)] : dy[at(k)] * y[at(k)];
      for (int64_t k = 0; k < s.k; ++k)
        dx[at(k)] = log ? dy[at(k)] - std::exp(y[at(k)]) * d : y[at(k)] * (dy[at(k)] - d);
    }
  return dx;
}

Tensors softmax_case_outputs(const cases::OpCase& c, const Tensors& in) {
  const auto& p = std::any_cast<const vknn::SoftmaxParams&>(c.params);
  auto l = vknn::softmax_layout("softmax reference", p, c.shape("x"));
  if (!l.ok()) throw std::invalid_argument(l.error().message);
  const SoftmaxShape s{l->outer, l->k, l->inner};
  Vec y = softmax_forward(s, p.log, in.at("x"));
  Vec dx = softmax_backward(s, p.log, y, in.at("dy"));
  return {{"y", std::move(y)}, {"dx", std::move(dx)}};
}

}  // namespace vknn::ref
