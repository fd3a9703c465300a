// CPU reference of the element-wise activations (see graph/include/vknn/ops/activation.h and
// docs/ops.md), in double.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

enum class Act { sigmoid, hardsigmoid, hardswish, silu, clip, leaky_relu, tanh };

// hardswish takes no parameters (x * clamp(x + 3, 0, 6) / 6); hardsigmoid's derivative is
// alpha strictly between the fp32-rounded kinks -beta/alpha and (1-beta)/alpha, as on the device.
struct ActParams {
  Act kind = Act::sigmoid;
  double alpha = 0, beta = 0;
};

Vec activation_forward(const ActParams& p, const Vec& x);
// dx = dy * f'(x), from the forward's input.
Vec activation_backward(const ActParams& p, const Vec& x, const Vec& dy);

// The cases of graph/cases/ops/activation.cpp: y, dx.
Tensors activation_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
