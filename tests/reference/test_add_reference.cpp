// The residual add reference: by hand and the fanned-out gradient against finite differences,
// including a tensor feeding both inputs (its gradient is the sum).
#include "add.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference add: forward by hand") { CHECK(add_forward({1, 2, -3}, {0.5, -2, 3}) == Vec{1.5, 0, 0}); }

TEST_CASE("reference add: backward matches finite differences") {
  const Vec a = random_vec(37, 31), b = random_vec(37, 32), r = random_vec(37, 33);
  const auto g = add_backward(r);
  CHECK(max_violation(g.da, numeric_gradient([&](const Vec& v) { return dot(add_forward(v, b), r); }, a)) == 0.0);
  CHECK(max_violation(g.db, numeric_gradient([&](const Vec& v) { return dot(add_forward(a, v), r); }, b)) == 0.0);
  // y = x + x: the two contributions are summed (the first overwrites, the second accumulates).
  Vec summed = g.da;
  for (size_t i = 0; i < summed.size(); ++i) summed[i] += g.db[i];
  CHECK(max_violation(summed, numeric_gradient([&](const Vec& v) { return dot(add_forward(v, v), r); }, a)) == 0.0);
}
