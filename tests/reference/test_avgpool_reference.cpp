// The average-pooling references (2-D and global): hand values, and the backward against
// central differences (on the op cases of graph/cases/ops/avgpool.cpp, and global by hand).
#include "avgpool.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

TEST_CASE("reference avgpool: divisor with and without padding counted") {
  // 2x2 plane, 3x3 window, pad 1, stride 2 -> one output covering all 4 elements.
  const Pool2dParams p{3, 3, 2, 2, 1, 1};
  const Vec x{1, 2, 3, 4};
  CHECK(avgpool_forward(p, true, 1, 1, 2, 2, x) == Vec{10.0 / 9});
  CHECK(avgpool_forward(p, false, 1, 1, 2, 2, x) == Vec{10.0 / 4});
}

TEST_CASE("reference avgpool: ceil mode's last windows divide by their part of the padded input") {
  // 3x3 plane, 2x2 windows stride 2, ceil mode: 2x2 outputs; the last row and column of
  // windows hold 2 or 1 elements and divide by those even with count_include_pad (PyTorch).
  Pool2dParams p{2, 2, 2, 2};
  p.ceil_mode = true;
  const Vec x{1, 2, 3, 4, 5, 6, 7, 8, 9};
  CHECK(avgpool_forward(p, true, 1, 1, 3, 3, x) == Vec{12.0 / 4, 9.0 / 2, 15.0 / 2, 9});
  CHECK(avgpool_forward(p, false, 1, 1, 3, 3, x) == Vec{12.0 / 4, 9.0 / 2, 15.0 / 2, 9});
  // With padding 1 and a 3x3 window: the first window counts its padding, the clipped last
  // one only up to the right padding.
  Pool2dParams q{3, 3, 2, 2, 1, 1};
  q.ceil_mode = true;
  const Vec y = avgpool_forward(q, true, 1, 1, 4, 4, Vec(16, 1.0));
  // out 3x3 (ceil((4+2-3)/2)+1 = 3; window 2 starts at 3 < 4); window (2,2) covers rows 3..5,
  // of which row 5 is past the padding: divisor 2*2 = 4 for 1 element.
  REQUIRE(y.size() == 9);
  CHECK(y[0] == 4.0 / 9);
  CHECK(y[8] == 1.0 / 4);
}

TEST_CASE("reference avgpool: asymmetric pads count only their own side") {
  // 2x2 plane, 3x3 window stride 1, pads top 2, left 0, bottom 0, right 1 (ONNX [2,0,0,1]):
  // 2x2 outputs; window (0,0) covers rows -2..0, columns 0..2: x[0,0], x[0,1], 6 padded rows
  // and 1 padded column within the padded input, 9 in all (column 2 is the right padding).
  Pool2dParams p{3, 3, 1, 1, 2, 0};
  p.pad_bottom = 0, p.pad_right = 1;
  REQUIRE(p.out_h(2) == 2);
  REQUIRE(p.out_w(2) == 1);
  const Vec x{1, 2, 3, 4};
  CHECK(avgpool_forward(p, true, 1, 1, 2, 2, x) == Vec{3.0 / 9, 10.0 / 9});
  CHECK(avgpool_forward(p, false, 1, 1, 2, 2, x) == Vec{3.0 / 2, 10.0 / 4});
  // In ceil mode the last window reaches past the bottom padding: its divisor stops there.
  Pool2dParams q{2, 2, 2, 2, 1, 0};
  q.pad_bottom = 0, q.pad_right = 1, q.ceil_mode = true;  // 3x3 -> rows -1..0, 1..2; columns 0..1, 2..3
  REQUIRE(q.out_h(3) == 2);
  REQUIRE(q.out_w(3) == 2);
  const Vec y = avgpool_forward(q, true, 1, 1, 3, 3, Vec(9, 1.0));
  CHECK(y == Vec{2.0 / 4, 1.0 / 4, 4.0 / 4, 2.0 / 4});
}

VKNN_CHECK_CASE_GRADIENTS(avgpool, avgpool_case_outputs)

TEST_CASE("reference avgpool: global average pooling forward and backward") {
  const Vec x{1, 2, 3, 4, 10, 20, 30, 40};  // (1,2,2,2)
  CHECK(global_avgpool_forward(1, 2, 2, 2, x) == Vec{2.5, 25});
  for (const auto& hw : {std::pair{7, 7}, std::pair{8, 8}, std::pair{1, 1}, std::pair{3, 5}}) {
    const int h = hw.first, w = hw.second;  // lambdas capture these: no structured binding before clang 16
    CAPTURE(h);
    const Vec v = random_vec(size_t(2) * 3 * h * w, 7), r = random_vec(6, 8);
    auto loss = [&](const Vec& u) { return dot(global_avgpool_forward(2, 3, h, w, u), r); };
    CHECK(max_violation(global_avgpool_backward(2, 3, h, w, r), numeric_gradient(loss, v), 1e-8, 1e-8) == 0.0);
  }
}
