// The batch-norm reference: normalized statistics, the running-stat update by hand, and
// every backward (training, inference, fused ReLU) against central finite differences.
#include "batchnorm.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

namespace {

struct Case {
  int n, c, h, w;
};

// d loss / d (x, gamma, beta) for loss = dot(y, r), the forward re-run at each FD step.
void check_batchnorm_gradients(const BatchNormParams& p, Case s, uint32_t seed) {
  CAPTURE(p.training);
  CAPTURE(p.relu);
  CAPTURE(s.n);
  CAPTURE(s.c);
  CAPTURE(s.h);
  CAPTURE(s.w);
  const size_t count = size_t(s.n) * s.c * s.h * s.w;
  const Vec x = random_vec(count, seed, -2, 3);
  const Vec gamma = random_vec(size_t(s.c), seed + 1, 0.5, 1.5), beta = random_vec(size_t(s.c), seed + 2);
  const Vec rm = random_vec(size_t(s.c), seed + 3), rv = random_vec(size_t(s.c), seed + 4, 0.5, 2);
  const Vec r = random_vec(count, seed + 5);
  auto fwd = [&](const Vec& xv, const Vec& g, const Vec& b) {
    return batchnorm_forward(p, s.n, s.c, s.h, s.w, xv, g, b, rm, rv);
  };
  const auto f = fwd(x, gamma, beta);
  const auto b = batchnorm_backward(p, s.n, s.c, s.h, s.w, x, gamma, f.save_mean, f.save_invstd, f.y, r);
  const Vec ndx = numeric_gradient([&](const Vec& v) { return dot(fwd(v, gamma, beta).y, r); }, x);
  const Vec ndg = numeric_gradient([&](const Vec& v) { return dot(fwd(x, v, beta).y, r); }, gamma);
  const Vec ndb = numeric_gradient([&](const Vec& v) { return dot(fwd(x, gamma, v).y, r); }, beta);
  CHECK(max_violation(b.dx, ndx, 1e-7, 1e-6) == 0.0);
  CHECK(max_violation(b.dgamma, ndg, 1e-7, 1e-6) == 0.0);
  CHECK(max_violation(b.dbeta, ndb, 1e-7, 1e-6) == 0.0);
}

}  // namespace

TEST_CASE("reference batchnorm: training output has mean 0 and variance 1 per channel") {
  const int n = 3, c = 2, h = 4, w = 5;
  const Vec x = random_vec(size_t(n) * c * h * w, 1, -3, 7);
  BatchNormParams p;
  p.eps = 0;  // exactly normalized
  const auto f = batchnorm_forward(p, n, c, h, w, x, {1, 1}, {0, 0}, {0, 0}, {1, 1});
  for (int ic = 0; ic < c; ++ic) {
    double sum = 0, sq = 0;
    for (int in = 0; in < n; ++in)
      for (int s = 0; s < h * w; ++s) {
        const double v = f.y[(size_t(in) * c + ic) * h * w + s];
        sum += v;
        sq += v * v;
      }
    const double m = n * h * w;
    CHECK(std::abs(sum / m) < 1e-12);
    CHECK(sq / m == doctest::Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("reference batchnorm: running statistics update by hand") {
  // One channel, x = 1,2,3,4: mean 2.5, biased var 1.25, unbiased 5/3.
  BatchNormParams p;
  const auto f = batchnorm_forward(p, 1, 1, 2, 2, {1, 2, 3, 4}, {1}, {0}, {0}, {1});
  CHECK(f.save_mean[0] == 2.5);
  CHECK(f.save_invstd[0] == doctest::Approx(1 / std::sqrt(1.25 + 1e-5)).epsilon(1e-14));
  CHECK(f.running_mean[0] == doctest::Approx(0.25).epsilon(1e-14));              // 0.9*0 + 0.1*2.5
  CHECK(f.running_var[0] == doctest::Approx(0.9 + 0.1 * 5.0 / 3).epsilon(1e-14));  // 0.9*1 + 0.1*5/3
  // M == 1: the (zero) biased variance is used.
  const auto g = batchnorm_forward(p, 1, 1, 1, 1, {7}, {1}, {0}, {1}, {2});
  CHECK(g.running_mean[0] == doctest::Approx(0.9 + 0.7).epsilon(1e-14));
  CHECK(g.running_var[0] == doctest::Approx(1.8).epsilon(1e-14));
  CHECK(g.y[0] == 0.0);
  // Inference uses the running statistics and leaves them alone.
  p.training = false;
  const auto h = batchnorm_forward(p, 1, 1, 1, 2, {1, 3}, {2}, {0.5}, {1}, {4});
  CHECK(h.y[0] == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(h.y[1] == doctest::Approx(2 * 2 / std::sqrt(4 + 1e-5) + 0.5).epsilon(1e-12));
  CHECK(h.running_mean[0] == 1.0);
  CHECK(h.running_var[0] == 4.0);
}

TEST_CASE("reference batchnorm: training backward matches finite differences") {
  BatchNormParams p;
  check_batchnorm_gradients(p, {2, 3, 3, 4}, 1);
  check_batchnorm_gradients(p, {1, 2, 1, 1 + 4}, 2);
  check_batchnorm_gradients(p, {4, 1, 1, 1}, 3);  // 1x1 images: statistics over the batch only
  p.eps = 1e-3;
  p.relu = true;
  check_batchnorm_gradients(p, {2, 3, 3, 3}, 4);
}

TEST_CASE("reference batchnorm: inference backward matches finite differences") {
  BatchNormParams p;
  p.training = false;
  check_batchnorm_gradients(p, {2, 3, 3, 4}, 5);
  check_batchnorm_gradients(p, {1, 1, 1, 1}, 6);
  p.relu = true;
  check_batchnorm_gradients(p, {2, 2, 2, 3}, 7);
}
