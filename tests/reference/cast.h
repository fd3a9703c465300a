// CPU reference of the fp32 <-> fp16 cast (see graph/include/vknn/ops/cast.h).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

// x rounded to the nearest binary16 value, ties to even (the compiler's _Float16 conversion);
// beyond +-65504 (+ half a step) infinities.
Vec round_to_half(const Vec& x);

// The cases of graph/cases/ops/cast.cpp: y (x after the round trip through fp16).
Tensors cast_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
