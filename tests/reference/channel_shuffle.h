// CPU reference of the channel shuffle (see graph/include/vknn/ops/channel_shuffle.h), written
// as the 5-D transpose it stands for: x viewed as (N, g, C/g, HW), axes 1 and 2 swapped.
#pragma once

#include "case_reference.h"

namespace vknn::ref {

// x (N,C,H*W) -> y (N,C,H*W).
Vec channel_shuffle_forward(int groups, int n, int c, int hw, const Vec& x);
// dx (N,C,H*W) from dy, by scattering each dy element back to where the forward read it.
Vec channel_shuffle_backward(int groups, int n, int c, int hw, const Vec& dy);

// The cases of graph/cases/ops/channel_shuffle.cpp: y, dx.
Tensors channel_shuffle_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
