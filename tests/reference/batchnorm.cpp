#include "batchnorm.h"

#include <algorithm>
#include <cmath>

namespace vknn::ref {

BatchNormForward batchnorm_forward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                   const Vec& gamma, const Vec& beta, const Vec& running_mean,
                                   const Vec& running_var) {
  const size_t hw = size_t(h) * w;
  const double m = double(n) * double(hw);
  BatchNormForward out{Vec(x.size()), Vec(size_t(c)), Vec(size_t(c)), running_mean, running_var};
  for (int ic = 0; ic < c; ++ic) {
    auto at = [&](int in, size_t s) { return (size_t(in) * c + ic) * hw + s; };
    double mean, invstd;
    if (p.training) {
      double sum = 0;
      for (int in = 0; in < n; ++in)
        for (size_t s = 0; s < hw; ++s) sum += x[at(in, s)];
      mean = sum / m;
      double sq = 0;
      for (int in = 0; in < n; ++in)
        for (size_t s = 0; s < hw; ++s) sq += (x[at(in, s)] - mean) * (x[at(in, s)] - mean);
      const double var = sq / m;
      invstd = 1 / std::sqrt(var + p.eps);
      out.running_mean[ic] = (1 - p.momentum) * running_mean[ic] + p.momentum * mean;
      out.running_var[ic] = (1 - p.momentum) * running_var[ic] + p.momentum * (m > 1 ? var * m / (m - 1) : var);
    } else {
      mean = running_mean[ic];
      invstd = 1 / std::sqrt(running_var[ic] + p.eps);
    }
    out.save_mean[ic] = mean;
    out.save_invstd[ic] = invstd;
    for (int in = 0; in < n; ++in)
      for (size_t s = 0; s < hw; ++s) {
        const size_t i = at(in, s);
        const double v = gamma[ic] * (x[i] - mean) * invstd + beta[ic];
        out.y[i] = p.relu ? std::max(v, 0.0) : v;
      }
  }
  return out;
}

BatchNormBackward batchnorm_backward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                     const Vec& gamma, const Vec& save_mean, const Vec& save_invstd, const Vec& y,
                                     const Vec& dy) {
  const size_t hw = size_t(h) * w;
  const double m = double(n) * double(hw);
  BatchNormBackward out{Vec(x.size()), Vec(size_t(c), 0.0), Vec(size_t(c), 0.0)};
  for (int ic = 0; ic < c; ++ic) {
    auto at = [&](int in, size_t s) { return (size_t(in) * c + ic) * hw + s; };
    auto g_at = [&](size_t i) { return p.relu && !(y[i] > 0) ? 0.0 : dy[i]; };
    const double mean = save_mean[ic], invstd = save_invstd[ic];
    double db = 0, dg = 0;
    for (int in = 0; in < n; ++in)
      for (size_t s = 0; s < hw; ++s) {
        const size_t i = at(in, s);
        db += g_at(i);
        dg += g_at(i) * (x[i] - mean) * invstd;
      }
    out.dbeta[ic] = db;
    out.dgamma[ic] = dg;
    for (int in = 0; in < n; ++in)
      for (size_t s = 0; s < hw; ++s) {
        const size_t i = at(in, s);
        const double xhat = (x[i] - mean) * invstd;
        out.dx[i] = p.training ? gamma[ic] * invstd / m * (m * g_at(i) - db - xhat * dg) : gamma[ic] * invstd * g_at(i);
      }
  }
  return out;
}

}  // namespace vknn::ref
