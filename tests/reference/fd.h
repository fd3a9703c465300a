// Central finite differences in double precision, for checking reference backwards.
#pragma once

#include <cmath>
#include <functional>
#include <random>
#include <vector>

namespace vknn::ref {

using Vec = std::vector<double>;

inline Vec random_vec(size_t n, uint32_t seed, double lo = -1.0, double hi = 1.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  Vec v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

inline double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// d/dx_i of loss(x) for every i, by (loss(x + h e_i) - loss(x - h e_i)) / 2h.
inline Vec numeric_gradient(const std::function<double(const Vec&)>& loss, Vec x, double h = 1e-6) {
  Vec g(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + h;
    const double up = loss(x);
    x[i] = keep - h;
    const double down = loss(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

// Largest violation of |a - b| <= abs + rel * |b| (0 when all elements pass).
inline double max_violation(const Vec& a, const Vec& b, double abs = 1e-6, double rel = 1e-6) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double err = std::abs(a[i] - b[i]) - (abs + rel * std::abs(b[i]));
    if (!(err <= 0)) worst = std::max(worst, std::isnan(err) ? INFINITY : err);
  }
  return worst;
}

}  // namespace vknn::ref
