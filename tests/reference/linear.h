// CPU reference of the fully connected layer (PyTorch layout; see
// graph/include/vknn/ops/linear.h): x (N,IN), w (OUT,IN), b (OUT) or empty, y (N,OUT).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

// y = x · wᵀ + b, then max(., 0) if relu. b may be empty (no bias).
Vec linear_forward(int n, int in, int out, const Vec& x, const Vec& w, const Vec& b, bool relu);
// dx = dy · w  (N,IN)
Vec linear_backward_data(int n, int in, int out, const Vec& dy, const Vec& w);
// dw = dyᵀ · x  (OUT,IN)
Vec linear_backward_weight(int n, int in, int out, const Vec& dy, const Vec& x);
// db = sum over rows of dy  (OUT)
Vec linear_backward_bias(int n, int out, const Vec& dy);
// out[c] = sum_{o,i} x[(o*channels + c)*inner + i]: sum over rows (inner = 1) or per channel.
Vec channel_sum(int outer, int channels, int inner, const Vec& x);

// The cases of graph/cases/ops/linear.cpp: y, and dx, dweight, dbias where the case has dy;
// for the sums, sum and its gradient dx (all ones).
Tensors linear_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
