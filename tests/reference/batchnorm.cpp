#include "batchnorm.h"

#include "vknn/ops/batchnorm.h"

#include <algorithm>
#include <any>
#include <cmath>

namespace vknn::ref {

BatchNormForward batchnorm_forward(const BatchNormParams& p, int n, int c, int h, int w, const Vec& x,
                                   const Vec& gamma, const Vec& beta, const Vec& running_mean,
                                   const Vec& running_var, const Vec& given) {
  const size_t hw = size_t(h) * w;
  const double m = double(n) * double(hw);
  BatchNormForward out{Vec(x.size()), Vec(size_t(c)), Vec(size_t(c)), running_mean, running_var};
  for (int ic = 0; ic < c; ++ic) {
    auto at = [&](int in, size_t s) { return (size_t(in) * c + ic) * hw + s; };
    double mean, invstd;
    if (p.training && !given.empty()) {
      mean = given[size_t(ic)];
      invstd = 1 / std::sqrt(given[size_t(c + ic)] + p.eps);
      out.running_mean[ic] = (1 - p.momentum) * running_mean[ic] + p.momentum * mean;
      out.running_var[ic] = (1 - p.momentum) * running_var[ic] + p.momentum * given[size_t(2 * c + ic)];
    } else if (p.training) {
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
      out.running_var[ic] = (1 - p.momentum) * running_var[ic] + p.momentum * (m > 1 && !p.biased_running_var ? var * m / (m - 1) : var);
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
                                     const Vec& dy, const Vec& given) {
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
        if (!p.training)
          out.dx[i] = gamma[ic] * invstd * g_at(i);
        else if (given.empty())
          out.dx[i] = gamma[ic] * invstd / m * (m * g_at(i) - db - xhat * dg);
        else
          out.dx[i] = gamma[ic] * invstd * (g_at(i) - given[size_t(ic)] - xhat * given[size_t(c + ic)]);
      }
  }
  return out;
}

Vec batchnorm_moments(int n, int c, int h, int w, const Vec& x) {
  const size_t hw = size_t(h) * w;
  Vec out(2 * size_t(c));
  for (int ic = 0; ic < c; ++ic) {
    auto at = [&](int in, size_t s) { return (size_t(in) * c + ic) * hw + s; };
    double sum = 0, sq = 0;
    for (int in = 0; in < n; ++in)
      for (size_t s = 0; s < hw; ++s) sum += x[at(in, s)];
    const double mean = sum / (double(n) * double(hw));
    for (int in = 0; in < n; ++in)
      for (size_t s = 0; s < hw; ++s) sq += (x[at(in, s)] - mean) * (x[at(in, s)] - mean);
    out[size_t(ic)] = mean, out[size_t(c + ic)] = sq;
  }
  return out;
}

Tensors batchnorm_case_outputs(const cases::OpCase& oc, const Tensors& in) {
  const auto& q = std::any_cast<const vknn::BatchNormParams&>(oc.params);
  const BatchNormParams p{q.eps, q.momentum, q.training, q.relu, q.biased_running_var};
  const Shape& s = oc.shape("x");
  const int n = int(s[0]), c = int(s[1]), h = int(s[2]), w = int(s[3]);
  const bool sync = in.count("given") == 1;
  const Vec none;
  BatchNormForward f = batchnorm_forward(p, n, c, h, w, in.at("x"), in.at("gamma"), in.at("beta"),
                                         in.at("running_mean"), in.at("running_var"), sync ? in.at("given") : none);
  const auto device_y = in.find(cases::device_output("y"));
  BatchNormBackward b = batchnorm_backward(p, n, c, h, w, in.at("x"), in.at("gamma"), f.save_mean, f.save_invstd,
                                           device_y == in.end() ? f.y : device_y->second, in.at("dy"),
                                           sync ? in.at("given_means") : none);
  Tensors out;
  if (sync) {
    out["moments"] = batchnorm_moments(n, c, h, w, in.at("x"));
    Vec sums = b.dbeta;
    sums.insert(sums.end(), b.dgamma.begin(), b.dgamma.end());
    out["sums"] = std::move(sums);
  }
  out["y"] = std::move(f.y), out["save_mean"] = std::move(f.save_mean), out["save_invstd"] = std::move(f.save_invstd);
  out["running_mean"] = std::move(f.running_mean), out["running_var"] = std::move(f.running_var);
  out["dx"] = std::move(b.dx), out["dgamma"] = std::move(b.dgamma), out["dbeta"] = std::move(b.dbeta);
  return out;
}

}  // namespace vknn::ref
