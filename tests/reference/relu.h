// CPU reference of ReLU (see graph/include/vknn/ops/relu.h).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

Vec relu_forward(const Vec& x);
// dx = dy * [y > 0], from the forward's output y.
Vec relu_backward(const Vec& y, const Vec& dy);

// The cases of graph/cases/ops/relu.cpp: y, dx.
Tensors relu_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
