// CPU reference of 2-D and global average pooling (see graph/include/vknn/ops/avgpool.h).
#pragma once

#include "case_reference.h"
#include "maxpool.h"

namespace vknn::ref {

// x: (N,C,H,W) -> (N,C,OH,OW). Divisor kh*kw when count_include_pad (less what ceil mode's
// last windows reach past the padding, as PyTorch), else the number of in-bounds elements of
// the window.
Vec avgpool_forward(const Pool2dParams& p, bool count_include_pad, int n, int c, int h, int w, const Vec& x);
// dx (N,C,H,W) from dy (N,C,OH,OW); overwritten.
Vec avgpool_backward(const Pool2dParams& p, bool count_include_pad, int n, int c, int h, int w, const Vec& dy);

// x: (N,C,H,W) -> (N,C), the mean of each plane.
Vec global_avgpool_forward(int n, int c, int h, int w, const Vec& x);
// dx (N,C,H,W) = dy (N,C) / (H*W); overwritten.
Vec global_avgpool_backward(int n, int c, int h, int w, const Vec& dy);

// The cases of graph/cases/ops/avgpool.cpp: y, dx (2-D, or global where the case has no params).
Tensors avgpool_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
