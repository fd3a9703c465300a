// CPU reference of the strided, batched matmul with its epilogue (graph/include/vknn/ops/matmul.h),
// in double.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

// The cases of graph/cases/ops/matmul.cpp (params: the MatmulDesc): c, from a, b, bias and
// the initial c (the accumulation base).
Tensors matmul_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
