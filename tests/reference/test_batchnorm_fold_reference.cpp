// The fold has no gradient (it runs at inference only), so instead of a finite-difference
// check the reference is checked for what it is for: conv with the folded weights equals
// inference BN of the conv, in double, grouped and strided, with and without a bias.
#include "batchnorm.h"
#include "batchnorm_fold.h"
#include "conv2d.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

namespace {

void check_fold(const Conv2dShape& s, bool bias, uint32_t seed) {
  CAPTURE(s.k);
  CAPTURE(s.groups);
  CAPTURE(bias);
  const Vec x = random_vec(s.x_size(), seed), w = random_vec(s.w_size(), seed + 1);
  const Vec b = bias ? random_vec(size_t(s.k), seed + 2) : Vec{};
  const Vec gamma = random_vec(size_t(s.k), seed + 3, -2, 2), beta = random_vec(size_t(s.k), seed + 4);
  const Vec mean = random_vec(size_t(s.k), seed + 5), var = random_vec(size_t(s.k), seed + 6, 0.01, 3);
  BatchNormParams p;
  p.training = false;
  p.eps = 1e-3;
  const Vec want = batchnorm_forward(p, s.n, s.k, s.oh(), s.ow(), conv2d_forward(s, x, w, b), gamma, beta, mean, var).y;
  const BatchNormFold f = batchnorm_fold(p.eps, w, b, gamma, beta, mean, var);
  const Vec got = conv2d_forward(s, x, f.w, f.b);
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) REQUIRE(got[i] == doctest::Approx(want[i]).epsilon(1e-12));
}

}  // namespace

TEST_CASE("batchnorm_fold reference: conv with folded weights equals inference BN after conv") {
  check_fold({2, 3, 7, 6, 5, 3, 3, 1, 1, 1, 1, 1}, false, 1);
  check_fold({1, 4, 9, 9, 6, 3, 2, 2, 1, 0, 1, 2}, true, 2);   // grouped, strided, 3x2 kernel
  check_fold({2, 8, 5, 5, 16, 1, 1, 1, 1, 0, 0, 1}, false, 3);  // 1x1
}
