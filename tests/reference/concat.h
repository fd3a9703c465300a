// CPU reference of concat/split along dim 1 (see graph/include/vknn/ops/concat.h). Tensors are
// (N, C_i, inner) with inner = H*W.
#pragma once

#include "case_reference.h"

#include <vector>

namespace vknn::ref {

// inputs[i] is (n, channels[i], inner); the result (n, sum channels, inner).
Vec concat_forward(int n, const std::vector<int>& channels, int inner, const std::vector<Vec>& inputs);
// x is (n, sum channels, inner); the result's i-th is (n, channels[i], inner).
std::vector<Vec> split_forward(int n, const std::vector<int>& channels, int inner, const Vec& x);

// concat's backward is split, split's backward is concat.
inline std::vector<Vec> concat_backward(int n, const std::vector<int>& channels, int inner, const Vec& dy) {
  return split_forward(n, channels, inner, dy);
}
inline Vec split_backward(int n, const std::vector<int>& channels, int inner, const std::vector<Vec>& dys) {
  return concat_forward(n, channels, inner, dys);
}

// The cases of graph/cases/ops/concat.cpp: y, dx<i>, x<i>.
Tensors concat_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
