// 2-D max pooling over NCHW tensors, and Pool2dParams, the window geometry shared with
// average pooling (vknn/ops/avgpool.h).
//   extent_h = dilation_h*(kernel_h - 1) + 1 (rows the window spans), padded_h = H + pad_h + pad_bottom;
//   OH = floor((padded_h - extent_h) / stride_h) + 1, OW alike; with ceil_mode the division
//   rounds up, less one where that last window would start at or past H + pad_h (PyTorch's
//   rule: a window starts inside the input or its top/left padding).
// Window (oh,ow) covers input rows oh*stride_h - pad_h + r*dilation_h, r < kernel_h (columns alike).
// AlexNet: 3x3 stride 2 (55->27->13->6); ResNet: 3x3 stride 2 pad 1 (112->56).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <optional>

namespace vknn {

struct Pool2dParams {
  int kernel_h = 0, kernel_w = 0;
  int stride_h = 0, stride_w = 0;
  int pad_h = 0, pad_w = 0;  // top and left padding, 0 <= pad < kernel (as ONNX Runtime)
  bool ceil_mode = false;    // round the output size up (see above); the extra windows are clipped
  // Bottom and right padding (0 <= pad < kernel); absent: pad_h and pad_w (symmetric, as PyTorch).
  std::optional<int> pad_bottom, pad_right;
  // Spacing of the window's taps: max pooling only (average pooling refuses other than 1).
  int dilation_h = 1, dilation_w = 1;

  int pad_end_h() const { return pad_bottom.value_or(pad_h); }
  int pad_end_w() const { return pad_right.value_or(pad_w); }
  int extent_h() const { return dilation_h * (kernel_h - 1) + 1; }
  int extent_w() const { return dilation_w * (kernel_w - 1) + 1; }
};

// The output shape (N,C,OH,OW) for x (N,C,H,W); refuses (Errc::invalid_argument, message
// naming `op` and the shapes) a non-positive kernel, stride or dilation, a negative pad, a pad
// of a kernel or more, a window extent larger than the padded input, or an x that is not a
// positive rank-4 shape. With pads below the kernel every window without dilation holds an
// input element; a dilated one may step over a narrow input entirely.
Result<Shape> pool2d_output_shape(const char* op, const Pool2dParams& p, const Shape& x);

// Whether p's window is the whole of x (N,C,H,W), unpadded and undilated (ONNX's
// GlobalMaxPool): the max pooling then runs one invocation per plane (maxpool_global_*).
bool pool2d_is_global(const Pool2dParams& p, const Shape& x);

// y = max over each window's in-bounds elements (padding never wins). Ties: the first
// maximum in row-major window order. argmax: int32 data (in a float-sized tensor view of
// y's shape) holding ih*W + iw of the winner within its (n,c) plane, for the backward. A
// window holding no input element (only dilated ones can) gives y = -inf and argmax = -1.
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
