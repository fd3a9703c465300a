// CPU reference of the gradient overflow check (see graph/include/vknn/ops/grad_check.h).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

// 1 if any element of any x is an inf or a NaN, else 0.
double overflow_flag(const std::vector<Vec>& xs);

// The cases of graph/cases/ops/grad_check.cpp: flag over x0 and x1.
Tensors grad_check_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
