// The activation references: values by hand, and every backward against central differences
// on the op cases (graph/cases/ops/activation.cpp; their planted kinks left out).
#include "activation.h"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

using namespace vknn::ref;

TEST_CASE("reference activations: values by hand") {
  const Vec x = {-8, -3, -1, 0, 0.5, 3, 7};
  CHECK(activation_forward({Act::clip, 0, 6}, x) == Vec{0, 0, 0, 0, 0.5, 3, 6});
  CHECK(activation_forward({Act::leaky_relu, 0.5, 0}, x) == Vec{-4, -1.5, -0.5, 0, 0.5, 3, 7});
  const Vec hs = activation_forward({Act::hardsigmoid, 0.25, 0.5}, x);
  CHECK(hs == Vec{0, 0, 0.25, 0.5, 0.625, 1, 1});
  const Vec hw = activation_forward({Act::hardswish, 0, 0}, {-4, 0, 3, 4});
  CHECK(hw == Vec{-0.0, 0, 3, 4});
  CHECK(activation_forward({Act::sigmoid, 0, 0}, {0})[0] == 0.5);
  CHECK(activation_forward({Act::tanh, 0, 0}, {0, 1})[1] == doctest::Approx((std::exp(2.0) - 1) / (std::exp(2.0) + 1)).epsilon(1e-15));
  CHECK(activation_backward({Act::tanh, 0, 0}, {0}, {3})[0] == 3.0);
  CHECK(activation_forward({Act::silu, 0, 0}, {2})[0] == doctest::Approx(2 / (1 + std::exp(-2.0))).epsilon(1e-15));
  // Kinks take PyTorch's one-sided choices: clip and hardsigmoid 0 at both ends, hardswish
  // the inner slope at the lower end and 1 at the upper, leaky_relu alpha at 0.
  CHECK(activation_backward({Act::clip, 0, 6}, {0, 6, 3}, {1, 1, 1}) == Vec{0, 0, 1});
  CHECK(activation_backward({Act::hardsigmoid, 1.0 / 6, 0.5}, {-3, 3}, {1, 1}) == Vec{0, 0});
  const Vec dhw = activation_backward({Act::hardswish, 0, 0}, {-3, 3}, {1, 1});
  CHECK(dhw[0] == doctest::Approx(-0.5).epsilon(1e-15));
  CHECK(dhw[1] == 1.0);
  CHECK(activation_backward({Act::leaky_relu, 0.1, 0}, {0}, {2})[0] == doctest::Approx(0.2).epsilon(1e-15));
}

VKNN_CHECK_CASE_GRADIENTS(activation, activation_case_outputs)
