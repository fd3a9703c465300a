// CPU reference of 2-D max pooling (see graph/include/vknn/ops/maxpool.h), and the
// window geometry shared with the average-pooling reference.
#pragma once

#include "case_reference.h"

#include <cstdint>
#include <optional>

namespace vknn {
struct Pool2dParams;
}

namespace vknn::ref {

struct Pool2dParams {
  int kernel_h = 0, kernel_w = 0, stride_h = 0, stride_w = 0, pad_h = 0, pad_w = 0;  // pad_h, pad_w: top, left
  bool ceil_mode = false;  // round up, but the last window starts inside the input or its left padding
  std::optional<int> pad_bottom, pad_right;  // absent: as pad_h, pad_w
  int dilation_h = 1, dilation_w = 1;        // taps dilation apart
  int bottom() const { return pad_bottom.value_or(pad_h); }
  int right() const { return pad_right.value_or(pad_w); }
  // Counts the windows one by one: floor mode takes those inside the padded input; ceil mode
  // also one more while the previous window fell short of its end, as long as it starts
  // before the end padding. extent: the rows a window spans, (kernel - 1) * dilation + 1.
  static int out_size(int in, int extent, int s, int begin, int end, bool ceil) {
    const int padded = in + begin + end;
    int o = 0;
    if (!ceil)
      while (o * s + extent <= padded) ++o;
    else
      while ((o == 0 || (o - 1) * s + extent < padded) && o * s - begin < in) ++o;
    return o;
  }
  int out_h(int h) const { return out_size(h, (kernel_h - 1) * dilation_h + 1, stride_h, pad_h, bottom(), ceil_mode); }
  int out_w(int w) const { return out_size(w, (kernel_w - 1) * dilation_w + 1, stride_w, pad_w, right(), ceil_mode); }
};

// The reference's copy of the op's params.
Pool2dParams ref_params(const vknn::Pool2dParams& p);

struct MaxPoolForward {
  Vec y;                         // (N,C,OH,OW)
  std::vector<int32_t> argmax;  // (N,C,OH,OW): ih*W + iw of the first maximum in its plane
};

// x: (N,C,H,W). Padding never wins; ties go to the first maximum in row-major window order.
// A window without an input element (a dilated one stepping over the input): -inf, argmax -1.
MaxPoolForward maxpool_forward(const Pool2dParams& p, int n, int c, int h, int w, const Vec& x);

// dx (N,C,H,W) from argmax and dy (N,C,OH,OW); overwritten.
Vec maxpool_backward(const Pool2dParams& p, int n, int c, int h, int w, const std::vector<int32_t>& argmax,
                     const Vec& dy);

// The cases of graph/cases/ops/maxpool.cpp: y, argmax (as values), dx.
Tensors maxpool_case_outputs(const cases::OpCase& c, const Tensors& in);

}  // namespace vknn::ref
