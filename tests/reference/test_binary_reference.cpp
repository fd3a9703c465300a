// The broadcasting binary reference: values by hand and both gradients against central finite
// differences, for scalar, per-channel, row, column and full broadcasts.
#include "binary.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference binary: broadcasting by hand") {
  // (2,1) * (3): an outer product.
  CHECK(binary_forward(Bin::mul, {2, 3}, {2, 1}, {1, 10, 100}, {3}) == Vec{2, 20, 200, 3, 30, 300});
  CHECK(binary_forward(Bin::sub, {5}, {1}, {1, 2}, {2}) == Vec{4, 3});
  CHECK(binary_forward(Bin::div, {1, 2, 3, 4}, {1, 2, 2}, {2, 4}, {2, 1}) == Vec{0.5, 1, 0.75, 1});
  const BinaryGrads g = binary_backward(Bin::mul, {2, 3}, {2, 1}, {1, 10, 100}, {3}, {1, 1, 1, 1, 1, 1});
  CHECK(g.da == Vec{111, 111});
  CHECK(g.db == Vec{5, 5, 5});
  CHECK(broadcast({2, 3, 1, 1}, {3, 4, 5}) == Dims{2, 3, 4, 5});
}

TEST_CASE("reference binary: gradients match finite differences") {
  const std::vector<std::pair<Dims, Dims>> shapes = {
      {{2, 3, 4, 5}, {2, 3, 1, 1}}, {{2, 3, 1, 1}, {2, 3, 4, 5}}, {{3, 4, 5}, {1}},  {{1}, {2, 3}},
      {{2, 1, 4}, {3, 1}},          {{2, 3, 4}, {2, 3, 4}},       {{4, 1}, {1, 5}},
  };
  uint32_t seed = 40;
  for (Bin op : {Bin::add, Bin::sub, Bin::mul, Bin::div})
    for (const auto& [as, bs] : shapes) {
      CAPTURE(int(op));
      int64_t na = 1, nb = 1, ny = 1;
      for (int64_t d : as) na *= d;
      for (int64_t d : bs) nb *= d;
      for (int64_t d : broadcast(as, bs)) ny *= d;
      const Vec a = random_vec(size_t(na), seed++, 0.5, 2);  // away from 0: a divisor
      const Vec b = random_vec(size_t(nb), seed++, 0.5, 2);
      const Vec r = random_vec(size_t(ny), seed++);
      const BinaryGrads g = binary_backward(op, a, as, b, bs, r);
      const Vec na_ = numeric_gradient([&](const Vec& v) { return dot(binary_forward(op, v, as, b, bs), r); }, a);
      const Vec nb_ = numeric_gradient([&](const Vec& v) { return dot(binary_forward(op, a, as, v, bs), r); }, b);
      CHECK(max_violation(g.da, na_, 1e-7, 1e-6) == 0.0);
      CHECK(max_violation(g.db, nb_, 1e-7, 1e-6) == 0.0);
    }
}
