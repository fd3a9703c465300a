// CPU reference of softmax and log-softmax over one axis (see graph/include/vknn/ops/softmax.h),
// in double.
#pragma once

#include "case_reference.h"

#include <cstdint>

namespace vknn::ref {

// x viewed as (outer, k, inner), normalized along k.
struct SoftmaxShape {
  int64_t outer = 1, k = 1, inner = 1;
};

// y_k = exp(x_k - m) / sum_j exp(x_j - m) (log: (x_k - m) - log sum_j exp(x_j - m)).
Vec softmax_forward(const SoftmaxShape& s, bool log, const Vec& x);
// From the forward's output y: dx_k = y_k (dy_k - sum_j dy_j y_j)
// (log: dx_k = dy_k - exp(y_k) sum_j dy_j).
Vec softmax_backward(const SoftmaxShape& s, bool log, const Vec& y, const Vec& dy);

// The cases of graph/cases/ops/softmax.cpp: y, dx.
Tensors softmax_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
