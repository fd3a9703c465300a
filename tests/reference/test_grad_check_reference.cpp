// The overflow reference by hand: infinities of either sign and NaNs set the flag, the
// largest finite values and subnormals do not. (No gradient: the check is not differentiated.)
#include "grad_check.h"

#include <doctest/doctest.h>

#include <limits>

using namespace vknn::ref;

TEST_CASE("reference grad_check: infinities and NaNs set the flag, finite extremes do not") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const double big = std::numeric_limits<float>::max(), tiny = std::numeric_limits<float>::denorm_min();
  CHECK(overflow_flag({{0.0, -0.0, big, -big, tiny}, {1.0}}) == 0.0);
  CHECK(overflow_flag({{0.0}, {1.0, inf}}) == 1.0);
  CHECK(overflow_flag({{-inf}, {}}) == 1.0);
  CHECK(overflow_flag({{1.0, nan}, {2.0}}) == 1.0);
  CHECK(overflow_flag({}) == 0.0);
}
