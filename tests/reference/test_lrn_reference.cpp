// The LRN reference: hand-computed values, the PyTorch alpha conversion, and its backward
// against central differences on the op cases (graph/cases/ops/lrn.cpp).
#include "lrn.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

TEST_CASE("reference lrn: forward by hand at a few positions") {
  // C=3, 1x1 image, x = (1,2,3), size 3, alpha 0.1, beta 0.75, k 2.
  const LrnParams p{3, 0.1, 0.75, 2.0};
  const auto f = lrn_forward(p, 1, 3, 1, 1, {1, 2, 3});
  CHECK(f.scale[0] == doctest::Approx(2.5).epsilon(1e-14));  // 2 + 0.1*(1+4)
  CHECK(f.scale[1] == doctest::Approx(3.4).epsilon(1e-14));  // 2 + 0.1*(1+4+9)
  CHECK(f.scale[2] == doctest::Approx(3.3).epsilon(1e-14));  // 2 + 0.1*(4+9)
  CHECK(f.y[0] == doctest::Approx(0.50297337).epsilon(1e-8));  // 1 * 2.5^-0.75
  CHECK(f.y[1] == doctest::Approx(2 * 0.39938414).epsilon(1e-8));  // 2 * 3.4^-0.75
  CHECK(f.y[2] == doctest::Approx(3 * 0.40842709).epsilon(1e-8));  // 3 * 3.3^-0.75

  // The paper's defaults: one position of a 5-channel pixel, window clipped at c = 0.
  const LrnParams paper;
  const auto g = lrn_forward(paper, 1, 5, 1, 1, {10, 20, 30, 40, 50});
  CHECK(g.scale[0] == doctest::Approx(2 + 1e-4 * (100 + 400 + 900)).epsilon(1e-14));
  CHECK(g.y[2] == doctest::Approx(30 * std::pow(2 + 1e-4 * 5500, -0.75)).epsilon(1e-14));
}

TEST_CASE("reference lrn: paper alpha times size is PyTorch's alpha") {
  // nn.LocalResponseNorm(size, alpha_pt, beta, k): b = a / (k + alpha_pt/size * sum a^2)^beta.
  const int c = 7;
  const double alpha_pt = 1e-2;
  const Vec x = random_vec(size_t(c) * 3, 5, -3, 3);
  const LrnParams p{5, alpha_pt / 5, 0.75, 1.0};
  const auto f = lrn_forward(p, 1, c, 1, 3, x);
  for (int ic = 0; ic < c; ++ic)
    for (int s = 0; s < 3; ++s) {
      double sq = 0;
      for (int j = std::max(0, ic - 2); j <= std::min(c - 1, ic + 2); ++j) sq += x[j * 3 + s] * x[j * 3 + s];
      const double pt = x[ic * 3 + s] / std::pow(1.0 + alpha_pt / 5 * sq, 0.75);
      CHECK(f.y[ic * 3 + s] == doctest::Approx(pt).epsilon(1e-14));
    }
}

VKNN_CHECK_CASE_GRADIENTS(lrn, lrn_case_outputs)

TEST_CASE("reference lrn: the backward's cross-channel term matters at alpha 0.1") {
  // The second term is not negligible here: dropping it changes the gradient a lot.
  const LrnParams p{5, 0.1, 0.75, 2.0};
  const Vec x = random_vec(2 * 7 * 6, 24, -2, 2), r = random_vec(x.size(), 25);
  const auto f = lrn_forward(p, 2, 7, 2, 3, x);
  const Vec full = lrn_backward(p, 2, 7, 2, 3, x, f.scale, r);
  double diff = 0, norm = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double first = r[i] * std::pow(f.scale[i], -p.beta);
    diff += (full[i] - first) * (full[i] - first);
    norm += full[i] * full[i];
  }
  CHECK(std::sqrt(diff / norm) > 0.1);
}
