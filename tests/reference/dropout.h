// CPU reference of dropout (see graph/include/vknn/ops/dropout.h): the Philox mask and its
// application. The mask is exactly the library's (vknn/ops/philox.h).
#pragma once

#include "case_reference.h"

#include <cstdint>
#include <vector>

namespace vknn::ref {

// keep[i] = u_i >= p, u_i the Philox draw of element i at (seed, step). p is fp32, as on the GPU.
std::vector<uint8_t> dropout_mask(size_t count, float p, uint64_t seed, uint32_t step);
// The fp32 scale 1/(1-p) the GPU uses.
double dropout_scale(float p);
// y = keep ? x * scale : 0.
Vec dropout_forward(const Vec& x, const std::vector<uint8_t>& keep, float p);
// dx = keep ? dy * scale : 0 (the same mask).
Vec dropout_backward(const Vec& dy, const std::vector<uint8_t>& keep, float p);

// The cases of graph/cases/ops/dropout.cpp: mask (the forward of ones), y, dx.
Tensors dropout_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
