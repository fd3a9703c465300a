// The linear reference: a forward by hand and every backward (data, weight, bias, with and
// without the fused ReLU) against central finite differences; the channel sum by hand.
#include "linear.h"
#include "relu.h"

#include <doctest/doctest.h>

#include <cmath>
#include <tuple>

using namespace vknn::ref;

VKNN_CHECK_CASE_GRADIENTS(linear, linear_case_outputs)

TEST_CASE("reference linear: forward by hand") {
  // x (2,3), w (2,3), b (2)
  const Vec x{1, 2, 3, -1, 0, 2};
  const Vec w{1, 0, -1, 0.5, 0.5, 0.5};
  const Vec b{0.25, -4};
  const Vec y = linear_forward(2, 3, 2, x, w, b, false);
  CHECK(y[0] == 1 - 3 + 0.25);       // -1.75
  CHECK(y[1] == 0.5 * 6 - 4);        // -1
  CHECK(y[2] == -1 - 2 + 0.25);      // -2.75
  CHECK(y[3] == 0.5 * 1 - 4);        // -3.5
  const Vec yr = linear_forward(2, 3, 2, x, w, b, true);
  for (double v : yr) CHECK(v == 0.0);
  const Vec nb = linear_forward(2, 3, 2, x, w, {}, false);
  CHECK(nb[0] == -2.0);
  CHECK(nb[1] == 3.0);
}

TEST_CASE("reference linear: backward data, weight and bias match finite differences") {
  for (const auto& shape : {std::tuple{1, 1, 1}, {1, 5, 3}, {3, 4, 7}, {2, 9, 2}}) {
    // Lambdas capture these: no structured binding before clang 16.
    const int n = std::get<0>(shape), in = std::get<1>(shape), out = std::get<2>(shape);
    CAPTURE(n);
    CAPTURE(in);
    CAPTURE(out);
    const Vec x = random_vec(size_t(n) * in, 1), w = random_vec(size_t(out) * in, 2), b = random_vec(size_t(out), 3);
    const Vec r = random_vec(size_t(n) * out, 4);
    const Vec dx = linear_backward_data(n, in, out, r, w);
    const Vec dw = linear_backward_weight(n, in, out, r, x);
    const Vec db = linear_backward_bias(n, out, r);
    CHECK(max_violation(dx, numeric_gradient([&](const Vec& v) { return dot(linear_forward(n, in, out, v, w, b, false), r); }, x)) == 0.0);
    CHECK(max_violation(dw, numeric_gradient([&](const Vec& v) { return dot(linear_forward(n, in, out, x, v, b, false), r); }, w)) == 0.0);
    CHECK(max_violation(db, numeric_gradient([&](const Vec& v) { return dot(linear_forward(n, in, out, x, w, v, false), r); }, b)) == 0.0);
  }
}

TEST_CASE("reference linear: the fused ReLU's gradient is ReLU backward then linear backward") {
  const int n = 3, in = 6, out = 5;
  const Vec x = random_vec(size_t(n) * in, 11), w = random_vec(size_t(out) * in, 12), b = random_vec(size_t(out), 13);
  const Vec r = random_vec(size_t(n) * out, 14);
  const Vec y = linear_forward(n, in, out, x, w, b, true);
  for (double z : linear_forward(n, in, out, x, w, b, false)) REQUIRE(std::abs(z) > 1e-3);  // away from the kink
  const Vec g = relu_backward(y, r);
  CHECK(max_violation(linear_backward_data(n, in, out, g, w),
                      numeric_gradient([&](const Vec& v) { return dot(linear_forward(n, in, out, v, w, b, true), r); }, x)) == 0.0);
  CHECK(max_violation(linear_backward_weight(n, in, out, g, x),
                      numeric_gradient([&](const Vec& v) { return dot(linear_forward(n, in, out, x, v, b, true), r); }, w)) == 0.0);
  CHECK(max_violation(linear_backward_bias(n, out, g),
                      numeric_gradient([&](const Vec& v) { return dot(linear_forward(n, in, out, x, w, v, true), r); }, b)) == 0.0);
}

TEST_CASE("reference linear: channel sum by hand") {
  // (2,2,3): outer 2, channels 2, inner 3
  const Vec x{1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60};
  const Vec s = channel_sum(2, 2, 3, x);
  CHECK(s[0] == 21);
  CHECK(s[1] == 210);
  const Vec rows = linear_backward_bias(3, 2, {1, 2, 3, 4, 5, 6});
  CHECK(rows[0] == 9);
  CHECK(rows[1] == 12);
}
