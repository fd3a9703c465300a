// The conv2d reference: a hand-computed forward, the 1x1-convolution-is-a-matmul identity,
// and every backward (data, weight, bias) against central finite differences of
// L = sum(y * r) in double.
#include <doctest/doctest.h>

#include "conv2d.h"

using namespace vknn::ref;

namespace {

void check_gradients(const Conv2dShape& p, uint32_t seed) {
  CAPTURE(p.n);
  CAPTURE(p.c);
  CAPTURE(p.h);
  CAPTURE(p.w);
  CAPTURE(p.k);
  CAPTURE(p.r);
  CAPTURE(p.s);
  CAPTURE(p.stride_h);
  CAPTURE(p.stride_w);
  CAPTURE(p.pad_h);
  CAPTURE(p.pad_w);
  CAPTURE(p.groups);
  const Vec x = random_vec(p.x_size(), seed), w = random_vec(p.w_size(), seed + 1),
            b = random_vec(size_t(p.k), seed + 2), r = random_vec(p.y_size(), seed + 3);
  const Vec numeric_dx = numeric_gradient([&](const Vec& v) { return dot(conv2d_forward(p, v, w, b), r); }, x);
  const Vec numeric_dw = numeric_gradient([&](const Vec& v) { return dot(conv2d_forward(p, x, v, b), r); }, w);
  const Vec numeric_db = numeric_gradient([&](const Vec& v) { return dot(conv2d_forward(p, x, w, v), r); }, b);
  Vec dw, db;
  conv2d_backward_weight(p, x, r, dw, &db);
  CHECK(max_violation(conv2d_backward_data(p, r, w), numeric_dx, 1e-7, 1e-6) == 0.0);
  CHECK(max_violation(dw, numeric_dw, 1e-7, 1e-6) == 0.0);
  CHECK(max_violation(db, numeric_db, 1e-7, 1e-6) == 0.0);
  // Without a bias, db is left alone and dw is the same.
  Vec dw2;
  conv2d_backward_weight(p, x, r, dw2, nullptr);
  CHECK(dw2 == dw);
}

}  // namespace

TEST_CASE("reference conv2d: forward by hand (stride 2, padding 1, bias, groups)") {
  // x = 1..9 on a 3x3 image, w = [[1,2],[3,4]], pad 1, stride 2: OH = OW = (3+2-2)/2+1 = 2.
  const Conv2dShape p{1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 1};
  REQUIRE(p.oh() == 2);
  REQUIRE(p.ow() == 2);
  const Vec y = conv2d_forward(p, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4}, {0.5});
  CHECK(y[0] == 4 * 1 + 0.5);                          // only x(0,0) under tap (1,1)
  CHECK(y[1] == 3 * 2 + 4 * 3 + 0.5);                  // x(0,1), x(0,2) under taps (1,0), (1,1)
  CHECK(y[2] == 2 * 4 + 4 * 7 + 0.5);                  // x(1,0), x(2,0) under taps (0,1), (1,1)
  CHECK(y[3] == 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9 + 0.5);  // the full window
  CHECK(conv2d_forward_at(p, {1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4}, {0.5}, 0, 0, 1, 1) == y[3]);

  // Two groups of one channel, 1x1 kernels: y[k] = w[k] * x[k], no mixing across groups.
  const Conv2dShape g{1, 2, 1, 2, 2, 1, 1, 1, 1, 0, 0, 2};
  const Vec yg = conv2d_forward(g, {1, 2, 3, 4}, {10, 100}, {});
  CHECK(yg == Vec{10, 20, 300, 400});

  // Hand-computed dx of the first case with dy = 1 everywhere: how many (and which) taps touch each x.
  const Vec dx = conv2d_backward_data(p, {1, 1, 1, 1}, {1, 2, 3, 4});
  CHECK(dx == Vec{4, 3, 4, 2, 1, 2, 4, 3, 4});
}

TEST_CASE("reference conv2d: a 1x1 convolution is a matmul per image") {
  // y[n](K, H*W) = W(K, C) x[n](C, H*W), block-diagonal with groups.
  for (int groups : {1, 3}) {
    CAPTURE(groups);
    const Conv2dShape p{2, 6, 3, 5, 9, 1, 1, 1, 1, 0, 0, groups};
    const Vec x = random_vec(p.x_size(), 7), w = random_vec(p.w_size(), 8), b = random_vec(size_t(p.k), 9);
    const Vec y = conv2d_forward(p, x, w, b);
    const int hw = p.h * p.w, cg = p.c / groups, kg = p.k / groups;
    Vec want(y.size());
    for (int n = 0; n < p.n; ++n)
      for (int k = 0; k < p.k; ++k)
        for (int i = 0; i < hw; ++i) {
          double s = b[size_t(k)];
          for (int c = 0; c < cg; ++c) s += w[size_t(k * cg + c)] * x[size_t((n * p.c + (k / kg) * cg + c) * hw + i)];
          want[size_t((n * p.k + k) * hw + i)] = s;
        }
    CHECK(max_violation(y, want, 1e-12, 1e-12) == 0.0);
  }
}

TEST_CASE("reference conv2d: backward matches finite differences") {
  check_gradients({1, 1, 1, 1, 1, 1, 1}, 1);                 // 1x1 everything
  check_gradients({1, 3, 5, 4, 2, 3, 3, 1, 1, 1, 1, 1}, 2);  // padding 1, same size
  check_gradients({2, 4, 7, 6, 6, 3, 2, 2, 1, 1, 2, 2}, 3);  // groups 2, stride (2,1), pad (1,2)
  check_gradients({1, 2, 9, 7, 3, 3, 3, 2, 2, 0, 0, 1}, 4);  // stride 2, odd sizes, no padding
  check_gradients({2, 4, 5, 5, 4, 1, 1, 2, 2, 0, 0, 1}, 5);  // 1x1 stride-2 projection
  check_gradients({1, 6, 6, 5, 4, 3, 3, 3, 2, 2, 1, 2}, 6);  // stride 3, pad 2, groups 2
  check_gradients({1, 2, 3, 3, 2, 5, 5, 1, 1, 2, 2, 2}, 7);  // kernel larger than the image
}

TEST_CASE("reference conv2d: single-element helpers agree with the full tensors") {
  const Conv2dShape p{2, 4, 7, 6, 6, 3, 2, 2, 1, 1, 2, 2};
  const Vec x = random_vec(p.x_size(), 11), w = random_vec(p.w_size(), 12), b = random_vec(size_t(p.k), 13),
            dy = random_vec(p.y_size(), 14);
  const Vec y = conv2d_forward(p, x, w, b), dx = conv2d_backward_data(p, dy, w);
  Vec dw, db;
  conv2d_backward_weight(p, x, dy, dw, &db);
  CHECK(conv2d_forward_at(p, x, w, b, 1, 5, p.oh() - 1, p.ow() - 1) == y.back());
  CHECK(conv2d_backward_data_at(p, dy, w, 1, 3, 6, 5) == dx.back());
  CHECK(conv2d_backward_weight_at(p, x, dy, 5, 1, 2, 1) == dw.back());
  CHECK(conv2d_backward_bias_at(p, dy, 5) == db.back());
}

VKNN_CHECK_CASE_GRADIENTS(conv2d, conv2d_case_outputs)
