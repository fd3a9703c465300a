// CPU reference of 2-D max pooling (see graph/include/vknn/ops/maxpool.h), and the
// window geometry shared with the average-pooling reference.
#pragma once

#include "fd.h"

#include <cstdint>

namespace vknn::ref {

struct Pool2dParams {
  int kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0, pad_h = 0, pad_w = 0;
  int out_h(int h) const { return (h + 2 * pad_h - kernel_h) / stride_h + 1; }
  int out_w(int w) const { return (w + 2 * pad_w - kernel_w) / stride_w + 1; }
};

struct MaxPoolForward {
  Vec y;                         // (N,C,OH,OW)
  std::vector<int32_t> argmax;  // (N,C,OH,OW): ih*W + iw of the first maximum in its plane
};

// x: (N,C,H,W). Padding never wins; ties go to the first maximum in row-major window order.
MaxPoolForward maxpool_forward(const Pool2dParams& p, int n, int c, int h, int w, const Vec& x);

// dx (N,C,H,W) from argmax and dy (N,C,OH,OW); overwritten.
Vec maxpool_backward(const Pool2dParams& p, int n, int c, int h, int w, const std::vector<int32_t>& argmax,
                     const Vec& dy);

}  // namespace vknn::ref
