// The pad reference: values by hand (padding each side on its own, cropping), and the
// backward against finite differences over a table of pads and shapes.
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

TEST_CASE("reference pad: backward matches finite differences") {
  struct Case {
    PadParams p;
    int n, c, h, w;
  };
  const Case cases[] = {
      {{{0, 1, 1}, {0, 1, 1}}, 1, 2, 3, 3},   {{{2, 0, 0}, {1, 0, 0}}, 2, 3, 2, 2},
      {{{0, 0, 3}, {0, 2, 0}}, 1, 1, 4, 5},   {{{1, -1, 2}, {0, 1, -2}}, 2, 2, 4, 5},
      {{{-1, -2, -1}, {-1, 0, -1}}, 1, 4, 5, 4}, {{{0, 0, 0}, {0, 0, 0}}, 1, 1, 1, 1},
      {{{0, 2, 1}, {1, 0, 1}, 0.75}, 1, 2, 3, 2},
  };
  for (const Case& k : cases) {
    CAPTURE(k.c);
    CAPTURE(k.h);
    const Vec x = random_vec(size_t(k.n) * k.c * k.h * k.w, 50 + uint32_t(k.h));
    const Vec r = random_vec(size_t(k.n) * k.p.out(0, k.c) * k.p.out(1, k.h) * k.p.out(2, k.w), 51);
    auto loss = [&](const Vec& v) { return dot(pad_forward(k.p, k.n, k.c, k.h, k.w, v), r); };
    CHECK(max_violation(pad_backward(k.p, k.n, k.c, k.h, k.w, r), numeric_gradient(loss, x), 1e-8, 1e-6) == 0.0);
  }
}
