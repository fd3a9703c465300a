// The max-pooling reference: the tie rule, padding, and its backward against central
// differences on the op cases without planted ties (graph/cases/ops/maxpool.cpp).
#include "maxpool.h"

#include <doctest/doctest.h>

#include <cmath>


using namespace vknn::ref;

TEST_CASE("reference maxpool: output sizes of the AlexNet and ResNet layers") {
  const Pool2dParams alex{3, 3, 2, 2};
  CHECK(alex.out_h(55) == 27);
  CHECK(alex.out_h(27) == 13);
  CHECK(alex.out_h(13) == 6);
  const Pool2dParams resnet{3, 3, 2, 2, 1, 1};
  CHECK(resnet.out_h(112) == 56);
}

TEST_CASE("reference maxpool: ceil mode adds the windows that start inside the input or its left padding") {
  Pool2dParams p{3, 3, 2, 2};
  p.ceil_mode = true;
  CHECK(p.out_h(112) == 56);  // googlenet's pools: floor gives 55
  CHECK(p.out_h(56) == 28);   // floor 27
  CHECK(p.out_h(28) == 14);   // floor 13
  CHECK(p.out_h(55) == 27);   // no change where the windows fit exactly
  Pool2dParams two{2, 2, 2, 2};
  two.ceil_mode = true;
  CHECK(two.out_h(5) == 3);  // the last window holds only row 4
  CHECK(two.out_h(1) == 1);
  Pool2dParams padded{3, 3, 2, 2, 1, 1};
  padded.ceil_mode = true;
  CHECK(padded.out_h(6) == 4);  // floor 3; window 3 starts at row 5, inside the input
  CHECK(padded.out_h(5) == 3);  // (5+2-3)/2+1 = 3 exactly
  Pool2dParams wide{3, 3, 3, 3, 1, 1};
  wide.ceil_mode = true;
  CHECK(wide.out_h(5) == 2);  // ceil((5+2-3)/3)+1 = 3, but window 2 would start at row 5, in the right padding
  // A last window of one element: 5x5 plane, 2x2 windows, ceil mode -> 3x3 outputs; window
  // (2,2) sees only x[4][4].
  Vec x(25);
  for (size_t i = 0; i < x.size(); ++i) x[i] = double(i);
  const auto f = maxpool_forward(two, 1, 1, 5, 5, x);
  REQUIRE(f.y.size() == 9);
  CHECK(f.y == Vec{6, 8, 9, 16, 18, 19, 21, 23, 24});
}

TEST_CASE("reference maxpool: the first maximum in row-major window order wins and takes the gradient") {
  const Pool2dParams p{2, 2, 1, 1};
  const Vec x(9, 1.0);  // a 3x3 plane of equal values
  const auto f = maxpool_forward(p, 1, 1, 3, 3, x);
  CHECK(f.argmax == std::vector<int32_t>{0, 1, 3, 4});  // each window's top-left
  const Vec dx = maxpool_backward(p, 1, 1, 3, 3, f.argmax, {1, 2, 3, 4});
  CHECK(dx == Vec{1, 2, 0, 3, 4, 0, 0, 0, 0});
  // A later, strictly larger value still wins.
  const auto g = maxpool_forward(p, 1, 1, 3, 3, {1, 1, 1, 1, 5, 1, 1, 1, 1});
  CHECK(g.argmax == std::vector<int32_t>{4, 4, 4, 4});
}

TEST_CASE("reference maxpool: padding never wins") {
  const Pool2dParams p{3, 3, 2, 2, 1, 1};
  const Vec x(16, -5.0);  // 4x4, all negative: a padded zero would win if padding counted
  const auto f = maxpool_forward(p, 1, 1, 4, 4, x);
  REQUIRE(f.y.size() == 4);
  for (double v : f.y) CHECK(v == -5.0);
  CHECK(f.argmax == std::vector<int32_t>{0, 1, 4, 5});
}

TEST_CASE("reference maxpool: dilated taps, and a window that steps over the input") {
  // ONNX's maxpool_2d_dilations: 4x4 of 1..16, 2x2 taps 2 apart, stride 1 -> 2x2.
  Pool2dParams p{2, 2, 1, 1};
  p.dilation_h = p.dilation_w = 2;
  Vec x(16);
  for (size_t i = 0; i < x.size(); ++i) x[i] = double(i + 1);
  const auto f = maxpool_forward(p, 1, 1, 4, 4, x);
  CHECK(f.y == Vec{11, 12, 15, 16});
  CHECK(f.argmax == std::vector<int32_t>{10, 11, 14, 15});
  // One row padded by 1 on both sides, taps 2 apart: rows -1 and 1, neither in the input.
  Pool2dParams q{2, 1, 1, 1, 1, 0};
  q.dilation_h = 2;
  const auto e = maxpool_forward(q, 1, 1, 1, 2, {3, 4});
  CHECK(e.y == Vec{-INFINITY, -INFINITY});
  CHECK(e.argmax == std::vector<int32_t>{-1, -1});
  CHECK(maxpool_backward(q, 1, 1, 1, 2, e.argmax, {1, 1}) == Vec{0, 0});
}

VKNN_CHECK_CASE_GRADIENTS(maxpool, maxpool_case_outputs)
