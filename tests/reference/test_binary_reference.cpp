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

VKNN_CHECK_CASE_GRADIENTS(binary, binary_case_outputs)
