// CPU reference of ReLU (see graph/include/vknn/ops/relu.h).
#pragma once

#include "fd.h"

namespace vknn::ref {

Vec relu_forward(const Vec& x);
// dx = dy * [y > 0], from the forward's output y.
Vec relu_backward(const Vec& y, const Vec& dy);

}  // namespace vknn::ref
