// AdamW: the first step by hand, and the decay being decoupled from the gradient.
#include "adamw.h"

#include <cmath>
#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference adamw: the first two steps by hand") {
  // lr 0.1, betas (0.9, 0.999), eps 1e-8, lambda 0.01; w 2, g 0.5.
  const AdamWParams p{0.1, 0.9, 0.999, 1e-8, 0.01};
  Vec w{2}, m{0}, v{0};
  adamw_step(p, 1, w, {0.5}, m, v);
  // w = 2 * (1 - 0.001) = 1.998; m = 0.05; v = 0.00025; bias-corrected m/sqrt(v) = 0.5/0.5 = 1,
  // so w = 1.998 - 0.1 * 1 / (1 + 1e-8 / 0.5).
  CHECK(m[0] == doctest::Approx(0.05).epsilon(1e-15));
  CHECK(v[0] == doctest::Approx(0.00025).epsilon(1e-13));
  CHECK(w[0] == doctest::Approx(1.998 - 0.1 / (1 + 2e-8)).epsilon(1e-15));
  // Step 2, g = -1: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975,
  // m^ = -0.055 / 0.19, v^ = 0.00124975 / (1 - 0.999^2).
  const double w1 = w[0];
  adamw_step(p, 2, w, {-1}, m, v);
  const double mh = -0.055 / 0.19, vh = 0.00124975 / (1 - 0.999 * 0.999);
  CHECK(w[0] == doctest::Approx(w1 * 0.999 - 0.1 * mh / (std::sqrt(vh) + 1e-8)).epsilon(1e-14));
}

TEST_CASE("reference adamw: with a zero gradient only the decoupled decay moves w") {
  const AdamWParams p{0.5, 0.9, 0.999, 1e-8, 0.1};
  Vec w{3, -4}, m{0, 0}, v{0, 0};
  adamw_step(p, 1, w, {0, 0}, m, v);
  CHECK(w == Vec{3 * 0.95, -4 * 0.95});
}
