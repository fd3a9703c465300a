// Strided identity with zero-padded channels: the parameter-free shortcut the ResNet paper
// uses on CIFAR-10 where a block changes shape (He et al. 2015, sec. 3.3 and 4.2, option A:
// "the shortcut still performs identity mapping, with extra zero entries padded for
// increasing dimensions ... performed with a stride of 2").
//   y[n, c, h, w] = x[n, c - offset, h * stride, w * stride]  for offset <= c < offset + C
//                 = 0                                          for the other channels
//   x (N,C,H,W) -> y (N,CO,HO,WO), HO = (H - 1) / stride + 1 (rows 0, stride, 2 stride, ...;
//   the size a 3x3 pad-1 or 1x1 pad-0 convolution of that stride gives), CO >= offset + C.
//   backward: dx[n, c, h, w] = dy[n, c + offset, h / stride, w / stride] where stride divides
//   both h and w, else 0 (the rows and columns the forward skips get no gradient).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

struct ChannelPadParams {
  int stride = 1;              // >= 1, on both spatial axes
  int64_t out_channels = 0;    // CO
  int64_t channel_offset = 0;  // where x's channels land in y
};

// The output shape, or Errc::invalid_argument naming the op, the parameters and x's shape.
Result<Shape> channel_pad_output_shape(const char* op, const ChannelPadParams& p, const Shape& x);

Status record_channel_pad_forward(CommandList& cl, const ChannelPadParams& p, const TensorView& x,
                                  const TensorView& y);
// accumulate: dx += instead of dx =.
Status record_channel_pad_backward(CommandList& cl, const ChannelPadParams& p, const TensorView& dy,
                                   const TensorView& dx, bool accumulate);

// Graph builder: y = channel_pad(x); a failed check fails the graph.
TensorId channel_pad(Graph& g, TensorId x, const ChannelPadParams& p, const std::string& name = "channel_pad");

// The parameters of a forward channel_pad node, or null for any other node.
const ChannelPadParams* channel_pad_params(const Node& n);

}  // namespace vknn
