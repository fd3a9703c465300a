// The matmul graph op's reference: a product by hand (transposes, alpha, a broadcast batch) and
// both gradients against central finite differences on every small case.
#include "matmul.h"

#include <doctest/doctest.h>

using namespace vknn::ref;

VKNN_CHECK_CASE_GRADIENTS(matmul, matmul_case_outputs)

TEST_CASE("reference matmul: a product by hand, transposed and scaled") {
  // a (2,3) = [[1,2,3],[4,5,6]], b (3,2) = [[1,0],[0,1],[1,1]]: a·b = [[4,5],[10,11]].
  const Vec a{1, 2, 3, 4, 5, 6}, b{1, 0, 0, 1, 1, 1};
  CHECK(matmul_forward({{2, 3}, {3, 2}, false, false, 1.0}, a, b) == Vec{4, 5, 10, 11});
  // The same operands stored transposed: aᵀ (3,2), bᵀ (2,3); alpha 0.5.
  const Vec at{1, 4, 2, 5, 3, 6}, bt{1, 0, 1, 0, 1, 1};
  CHECK(matmul_forward({{3, 2}, {2, 3}, true, true, 0.5}, at, bt) == Vec{2, 2.5, 5, 5.5});
  // A batch of two a's against one shared b: y (2,2,2); the second a is -a.
  Vec a2 = a;
  for (double v : a) a2.push_back(-v);
  const MatmulRef p{{2, 2, 3}, {3, 2}, false, false, 1.0};
  CHECK(matmul_shape(p) == std::vector<int64_t>{2, 2, 2});
  CHECK(matmul_forward(p, a2, b) == Vec{4, 5, 10, 11, -4, -5, -10, -11});
  // db sums over the batch: a and -a cancel.
  const MatmulGrads g = matmul_backward(p, a2, b, Vec(8, 1.0));
  CHECK(g.db == Vec(6, 0.0));
  CHECK(g.da == Vec{1, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 2});
}

TEST_CASE("reference matmul: gradients under general broadcasting match finite differences") {
  // (2,1,3,4)^T x (3,5,4): batch dims broadcast both ways, wider than the device op takes.
  const MatmulRef p{{2, 1, 4, 3}, {3, 5, 4}, true, true, -0.75};
  const Vec a = random_vec(24, 1), b = random_vec(60, 2);
  const Vec dy = random_vec(2 * 3 * 3 * 5, 3);
  CHECK(matmul_shape(p) == std::vector<int64_t>{2, 3, 3, 5});
  const MatmulGrads g = matmul_backward(p, a, b, dy);
  CHECK(max_violation(g.da, numeric_gradient([&](const Vec& v) { return dot(matmul_forward(p, v, b), dy); }, a)) ==
        0.0);
  CHECK(max_violation(g.db, numeric_gradient([&](const Vec& v) { return dot(matmul_forward(p, a, v), dy); }, b)) ==
        0.0);
}
