// CPU reference of the strided, batched matmul with its epilogue, and of the matmul graph op
// with its backward (graph/include/vknn/ops/matmul.h), in double.
#pragma once

#include "case_reference.h"

#include <cstdint>
#include <vector>

namespace vknn::ref {

// y = alpha * op(a)·op(b) over NumPy-broadcast batch dims (any broadcast, wider than the
// device op takes): a (...,M,K) or (...,K,M) with trans_a, b (...,K,N) or (...,N,K).
struct MatmulRef {
  std::vector<int64_t> as, bs;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0;
};
std::vector<int64_t> matmul_shape(const MatmulRef& p);
Vec matmul_forward(const MatmulRef& p, const Vec& a, const Vec& b);
struct MatmulGrads {
  Vec da, db;
};
// Gradients of dot(y, dy): each operand's summed over the batch elements it repeats to.
MatmulGrads matmul_backward(const MatmulRef& p, const Vec& a, const Vec& b, const Vec& dy);

// Gemm's c term of a 2-D y (M,N): y + beta * c broadcast (c of shape (), (N), (1,N), (M,1) or
// (M,N)), and its gradient beta * dy summed to c's shape.
Vec add_c_term(const Vec& y, int64_t m, int64_t n, const Vec& c, const std::vector<int64_t>& cs, double beta);
Vec c_term_backward(const Vec& dy, int64_t m, int64_t n, const std::vector<int64_t>& cs, double beta);

// The cases of graph/cases/ops/matmul.cpp: c (params MatmulDesc: the kernel, from a, b, bias
// and the initial c, the accumulation base), or y, da, db and, with a tensor c, dc (params
// MatmulNodeParams: the graph op).
Tensors matmul_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
