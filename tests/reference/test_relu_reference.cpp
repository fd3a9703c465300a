// The ReLU reference: values by hand and the backward against finite differences away from 0.
#include "relu.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

TEST_CASE("reference relu: forward and backward by hand") {
  const Vec y = relu_forward({-2, -0.0, 0, 0.5, 3});
  CHECK(y == Vec{0, 0, 0, 0.5, 3});
  // The derivative at 0 is taken as 0.
  CHECK(relu_backward(y, {1, 2, 3, 4, 5}) == Vec{0, 0, 0, 4, 5});
}

TEST_CASE("reference relu: backward matches finite differences away from 0") {
  Vec x = random_vec(257, 21, -2, 2);
  for (auto& v : x)
    if (std::abs(v) < 1e-3) v = 0.5;  // keep off the kink
  const Vec r = random_vec(x.size(), 22);
  const Vec analytic = relu_backward(relu_forward(x), r);
  const Vec numeric = numeric_gradient([&](const Vec& v) { return dot(relu_forward(v), r); }, x);
  CHECK(max_violation(analytic, numeric) == 0.0);
}
