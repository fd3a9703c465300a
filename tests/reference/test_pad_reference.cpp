// The pad reference: values by hand (padding each side on its own, cropping), and the
// backward against central differences on every small case of graph/cases/ops/pad.cpp.
#include "pad.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference pad: zeros on each side of H and W, channels added, negative counts crop") {
  // x (1,1,2,3) = 1..6; one row above, two columns after.
  const Vec x{1, 2, 3, 4, 5, 6};
  const Vec want{0, 0, 0, 0, 0,  //
                 1, 2, 3, 0, 0,  //
                 4, 5, 6, 0, 0};
  CHECK(pad_forward({{0, 1, 0}, {0, 0, 2}}, 1, 1, 2, 3, x) == want);
  // A zero channel before: (1,2,2,3).
  Vec two(6, 0.0);
  two.insert(two.end(), x.begin(), x.end());
  CHECK(pad_forward({{1, 0, 0}, {0, 0, 0}}, 1, 1, 2, 3, x) == two);
  // Crop the first column and pad one after: columns 2 3 0.
  CHECK(pad_forward({{0, 0, -1}, {0, 0, 1}}, 1, 1, 2, 3, x) == Vec{2, 3, 0, 5, 6, 0});
  // Another value.
  CHECK(pad_forward({{0, 0, 1}, {0, 0, 0}, -2.5}, 1, 1, 2, 3, x) == Vec{-2.5, 1, 2, 3, -2.5, 4, 5, 6});
  // No pads: the identity.
  CHECK(pad_forward({}, 1, 1, 2, 3, x) == x);
}

VKNN_CHECK_CASE_GRADIENTS(pad, pad_case_outputs)
