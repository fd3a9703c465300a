// The fp16 rounding reference, by hand: binary16 has 11 significant bits, a largest finite
// value of 65504 and subnormals down to 2^-24 (IEEE 754-2008, table 3.5).
#include "cast.h"

#include <doctest/doctest.h>

#include <cmath>

using namespace vknn::ref;

TEST_CASE("reference cast: rounding to fp16 by hand") {
  const Vec y = round_to_half({0.0, -0.0, 1.0, 1.0 / 3.0, 1.0 + 0x1p-11, 1.0 + 3 * 0x1p-11, 65504.0, 65520.0, 0x1p-24,
                               0x1p-26, 2049.0, -2051.0});
  CHECK(y[0] == 0.0);
  CHECK(std::signbit(y[1]));
  CHECK(y[2] == 1.0);
  CHECK(y[3] == 0x1.554p-2);        // 0.333251953125
  CHECK(y[4] == 1.0);               // a tie rounds to even
  CHECK(y[5] == 1.0 + 4 * 0x1p-11); // the other tie, to even upward
  CHECK(y[6] == 65504.0);
  CHECK(std::isinf(y[7]));          // half a step above the largest finite rounds to infinity
  CHECK(y[8] == 0x1p-24);           // the smallest subnormal
  CHECK(y[9] == 0.0);               // below half of it
  CHECK(y[10] == 2048.0);           // above 2048 the step is 2: 2049 is a tie, to even
  CHECK(y[11] == -2052.0);
}
