// 2-D max pooling over NCHW tensors, and Pool2dParams, the window geometry shared with
// average pooling (vknn/ops/avgpool.h).
//   OH = floor((H + 2*pad_h - kernel_h) / stride_h) + 1, OW alike; with ceil_mode the
//   division rounds up, less one where that last window would start at or past H + pad_h
//   (PyTorch's rule: a window starts inside the input or its left/top padding).
// Window (oh,ow) covers input rows oh*stride_h - pad_h .. + kernel_h - 1 (columns alike).
// AlexNet: 3x3 stride 2 (55->27->13->6); ResNet: 3x3 stride 2 pad 1 (112->56).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

struct Pool2dParams {
  int kernel_h = 0, kernel_w = 0;
  int stride_h = 0, stride_w = 0;
  int pad_h = 0, pad_w = 0;  // 0 <= pad <= kernel/2 (as PyTorch)
  bool ceil_mode = false;    // round the output size up (see above); the extra windows are clipped
};

// The output shape (N,C,OH,OW) for x (N,C,H,W); refuses (Errc::invalid_argument, message
// naming `op` and the shapes) a non-positive kernel or stride, a negative pad, a pad over
// kernel/2, a kernel larger than the padded input, or an x that is not a positive rank-4 shape.
Result<Shape> pool2d_output_shape(const char* op, const Pool2dParams& p, const Shape& x);

// y = max over each window's in-bounds elements (padding never wins). Ties: the first
// maximum in row-major window order. argmax: int32 data (in a float-sized tensor view of
// y's shape) holding ih*W + iw of the winner within its (n,c) plane, for the backward.
// x: (N,C,H,W); y, argmax: (N,C,OH,OW).
Status record_maxpool_forward(CommandList& cl, const Pool2dParams& p, const TensorView& x, const TensorView& y,
                              const TensorView& argmax);

// dx[n,c,i] = sum of dy over the windows whose argmax is i (a gather, no atomics).
// argmax, dy: (N,C,OH,OW); dx: (N,C,H,W). accumulate: dx += instead of dx =.
Status record_maxpool_backward(CommandList& cl, const Pool2dParams& p, const TensorView& argmax,
                               const TensorView& dy, const TensorView& dx, bool accumulate);

// Graph builder: y = maxpool(x); the node also keeps the int32 argmax for the backward.
TensorId maxpool(Graph& g, TensorId x, const Pool2dParams& p, const std::string& name = "maxpool");

// The parameters of a forward maxpool node (outputs y, argmax), or null for any other node.
const Pool2dParams* maxpool_params(const Node& n);

}  // namespace vknn
