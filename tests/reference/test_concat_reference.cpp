// The concat/split reference: layout by hand, round trips, and both backwards against finite
// differences.
#include "concat.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference concat: layout by hand") {
  // N=2, channels {1,2}, inner 2.
  const Vec a{1, 2, /*n1*/ 3, 4};
  const Vec b{10, 11, 12, 13, /*n1*/ 14, 15, 16, 17};
  const Vec y = concat_forward(2, {1, 2}, 2, {a, b});
  CHECK(y == Vec{1, 2, 10, 11, 12, 13, 3, 4, 14, 15, 16, 17});
  const auto parts = split_forward(2, {1, 2}, 2, y);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0] == a);
  CHECK(parts[1] == b);
}

VKNN_CHECK_CASE_GRADIENTS(concat, concat_case_outputs)

TEST_CASE("reference concat: split's backward (concat) matches finite differences") {
  const int n = 2, inner = 3;
  const std::vector<int> ch{2, 1, 3};
  // split: loss = sum_i <split(x)_i, r_i>
  const Vec x = random_vec(size_t(n) * 6 * inner, 50);
  std::vector<Vec> rs;
  for (size_t i = 0; i < ch.size(); ++i) rs.push_back(random_vec(size_t(n) * ch[i] * inner, 60 + uint32_t(i)));
  auto loss = [&](const Vec& v) {
    const auto parts = split_forward(n, ch, inner, v);
    double s = 0;
    for (size_t i = 0; i < parts.size(); ++i) s += dot(parts[i], rs[i]);
    return s;
  };
  CHECK(max_violation(split_backward(n, ch, inner, rs), numeric_gradient(loss, x)) == 0.0);
}
