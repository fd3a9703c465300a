// The residual add reference: by hand and the fanned-out gradient against finite differences,
// including a tensor feeding both inputs (its gradient is the sum).
#include "add.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference add: forward by hand") { CHECK(add_forward({1, 2, -3}, {0.5, -2, 3}) == Vec{1.5, 0, 0}); }

VKNN_CHECK_CASE_GRADIENTS(add, add_case_outputs)

TEST_CASE("reference add: y = x + x sums both contributions of the backward") {
  const Vec a = random_vec(37, 31), r = random_vec(37, 33);
  const auto g = add_backward(r);
  // The first contribution overwrites, the second accumulates.
  Vec summed = g.da;
  for (size_t i = 0; i < summed.size(); ++i) summed[i] += g.db[i];
  CHECK(max_violation(summed, numeric_gradient([&](const Vec& v) { return dot(add_forward(v, v), r); }, a)) == 0.0);
}
