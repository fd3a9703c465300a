// CPU reference of constant padding and cropping of C, H and W (see
// graph/include/vknn/ops/pad.h).
#pragma once

#include "case_reference.h"

#include <array>

namespace vknn::ref {

struct PadParams {
  std::array<int, 3> begin{}, end{};  // (C, H, W); negative: crop
  double value = 0;                   // what the padding holds
  int out(int axis, int size) const { return size + begin[size_t(axis)] + end[size_t(axis)]; }
};

// x (N,C,H,W) -> (N, C + bc + ec, H + bh + eh, W + bw + ew).
Vec pad_forward(const PadParams& p, int n, int c, int h, int w, const Vec& x);
// dx (N,C,H,W) from dy of the forward's output shape; overwritten.
Vec pad_backward(const PadParams& p, int n, int c, int h, int w, const Vec& dy);

// The cases of graph/cases/ops/pad.cpp: y, dx.
Tensors pad_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
