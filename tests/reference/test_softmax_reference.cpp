// The softmax references: values by hand, and the backward against central differences on the
// op cases (graph/cases/ops/softmax.cpp; their far logits left out).
#include "softmax.h"

#include "vknn/ops/softmax.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

TEST_CASE("reference softmax: values by hand") {
  // Rows (0, ln 2, ln 5): weights 1, 2, 5 of 8.
  const Vec x = {0, std::log(2.0), std::log(5.0)};
  const Vec y = softmax_forward({1, 3, 1}, false, x);
  CHECK(y[0] == doctest::Approx(0.125).epsilon(1e-15));
  CHECK(y[1] == doctest::Approx(0.25).epsilon(1e-15));
  CHECK(y[2] == doctest::Approx(0.625).epsilon(1e-15));
  const Vec ly = softmax_forward({1, 3, 1}, true, x);
  CHECK(ly[0] == doctest::Approx(-std::log(8.0)).epsilon(1e-15));
  CHECK(ly[2] == doctest::Approx(std::log(5.0 / 8)).epsilon(1e-15));
  // ONNX's test_softmax_large_number: a row shifted by 1000 is the row itself.
  const Vec big = softmax_forward({1, 4, 1}, false, {1000, 1001, 1002, 1003});
  const Vec small = softmax_forward({1, 4, 1}, false, {0, 1, 2, 3});
  for (size_t k = 0; k < 4; ++k) CHECK(big[k] == doctest::Approx(small[k]).epsilon(1e-15));
  CHECK(small[3] == doctest::Approx(std::exp(3.0) / (1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0))).epsilon(1e-15));
  // Along the middle axis of (1,2,2): rows are (x0, x2) and (x1, x3); a one-element axis gives 1.
  const Vec mid = softmax_forward({1, 2, 2}, false, {0, 5, 0, 5});
  CHECK(mid == Vec{0.5, 0.5, 0.5, 0.5});
  CHECK(softmax_forward({3, 1, 1}, false, {-7, 0, 7}) == Vec{1, 1, 1});
  // The backward: y = (1/2, 1/2), dy = (1, 0): sum dy y = 1/2, dx = (1/4, -1/4).
  CHECK(softmax_backward({1, 2, 1}, false, {0.5, 0.5}, {1, 0}) == Vec{0.25, -0.25});
  // log: dx = dy - y' sum dy with y' = exp(log y) = (1/4, 3/4), dy = (2, 2): dx = (1, -1).
  const Vec ldx = softmax_backward({1, 2, 1}, true, {std::log(0.25), std::log(0.75)}, {2, 2});
  CHECK(ldx[0] == doctest::Approx(1.0).epsilon(1e-15));
  CHECK(ldx[1] == doctest::Approx(-1.0).epsilon(1e-15));
}

TEST_CASE("reference softmax: the layout of one axis and of the flattened form") {
  const vknn::Shape s{2, 3, 5, 7};
  auto one = vknn::softmax_layout("t", {1, false, false}, s);
  REQUIRE(one.ok());
  CHECK((one->outer == 2 && one->k == 3 && one->inner == 35));
  auto last = vknn::softmax_layout("t", {-1, false, false}, s);
  REQUIRE(last.ok());
  CHECK((last->outer == 30 && last->k == 7 && last->inner == 1));
  auto flat = vknn::softmax_layout("t", {1, false, true}, s);
  REQUIRE(flat.ok());
  CHECK((flat->outer == 2 && flat->k == 105 && flat->inner == 1));
  auto all = vknn::softmax_layout("t", {-4, false, true}, s);
  REQUIRE(all.ok());
  CHECK((all->outer == 1 && all->k == 210 && all->inner == 1));
  CHECK_FALSE(vknn::softmax_layout("t", {4, false, false}, s).ok());
  CHECK_FALSE(vknn::softmax_layout("t", {-5, false, false}, s).ok());
}

VKNN_CHECK_CASE_GRADIENTS(softmax, softmax_case_outputs)
