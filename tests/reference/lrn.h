// CPU reference of local response normalization across channels (paper convention,
// alpha not divided by size; see graph/include/vknn/ops/lrn.h and docs/ops.md).
#pragma once

#include "case_reference.h"

namespace vknn::ref {

struct LrnParams {
  int size = 5;
  double alpha = 1e-4, beta = 0.75, k = 2.0;
};

struct LrnForward {
  Vec y, scale;  // (N,C,H,W) each
};

// x: (N,C,H,W) contiguous.
LrnForward lrn_forward(const LrnParams& p, int n, int c, int h, int w, const Vec& x);

// dx for x, the forward's scale and dy; overwritten, not accumulated.
Vec lrn_backward(const LrnParams& p, int n, int c, int h, int w, const Vec& x, const Vec& scale, const Vec& dy);

// The cases of graph/cases/ops/lrn.cpp: y, scale, dx.
Tensors lrn_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
