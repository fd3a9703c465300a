// The batch-norm reference: normalized statistics and the running-stat update by hand, the
// synchronized forward and backward against the plain ones, and every backward (training,
// inference, fused ReLU) against central finite differences on the small cases of
// graph/cases/ops/batchnorm.cpp.
#include "batchnorm.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

VKNN_CHECK_CASE_GRADIENTS(batchnorm, batchnorm_case_outputs)

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

TEST_CASE("reference batchnorm: given the batch's own statistics, the synchronized forward and backward are the plain ones") {
  const int n = 2, c = 3, h = 2, w = 3;
  const size_t count = size_t(n) * c * h * w;
  const Vec x = random_vec(count, 1, -1, 3), dy = random_vec(count, 2);
  const Vec gamma = random_vec(size_t(c), 3, 0.5, 1.5), beta = random_vec(size_t(c), 4);
  const Vec rm = random_vec(size_t(c), 5), rv = random_vec(size_t(c), 6, 0.5, 2);
  BatchNormParams p;
  p.relu = true;
  const Vec moments = batchnorm_moments(n, c, h, w, x);
  const double m = n * h * w;
  Vec given(3 * size_t(c));
  for (size_t k = 0; k < size_t(c); ++k) {
    given[k] = moments[k];
    given[size_t(c) + k] = moments[size_t(c) + k] / m;
    given[2 * size_t(c) + k] = moments[size_t(c) + k] / (m - 1);
  }
  const auto f = batchnorm_forward(p, n, c, h, w, x, gamma, beta, rm, rv);
  const auto g = batchnorm_forward(p, n, c, h, w, x, gamma, beta, rm, rv, given);
  for (size_t k = 0; k < size_t(c); ++k) CHECK(f.save_mean[k] == doctest::Approx(moments[k]).epsilon(1e-14));
  CHECK(max_violation(g.y, f.y, 1e-12, 1e-12) == 0.0);
  CHECK(max_violation(g.running_mean, f.running_mean, 1e-12, 1e-12) == 0.0);
  CHECK(max_violation(g.running_var, f.running_var, 1e-12, 1e-12) == 0.0);
  const auto b = batchnorm_backward(p, n, c, h, w, x, gamma, f.save_mean, f.save_invstd, f.y, dy);
  Vec means(2 * size_t(c));
  for (size_t k = 0; k < size_t(c); ++k) means[k] = b.dbeta[k] / m, means[size_t(c) + k] = b.dgamma[k] / m;
  const auto s = batchnorm_backward(p, n, c, h, w, x, gamma, f.save_mean, f.save_invstd, f.y, dy, means);
  CHECK(max_violation(s.dx, b.dx, 1e-12, 1e-12) == 0.0);
  CHECK(max_violation(s.dgamma, b.dgamma, 0, 0) == 0.0);
}
