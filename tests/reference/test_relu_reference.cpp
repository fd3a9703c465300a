// The ReLU reference: values by hand, and its backward against central differences on the
// op cases (graph/cases/ops/relu.cpp; their kinks left out).
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

VKNN_CHECK_CASE_GRADIENTS(relu, relu_case_outputs)
