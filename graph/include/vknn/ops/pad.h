// Constant padding (and cropping) of C, H and W of an (N,C,H,W) tensor, each side on its own
// (ONNX Pad, mode 'constant'; torch.nn.functional.pad, mode 'constant'), zeros by default:
//   y[n, c, h, w] = x[n, c - begin_c, h - begin_h, w - begin_w]  where that is inside x
//                 = value                                          elsewhere
//   y (N, C + begin_c + end_c, H + begin_h + end_h, W + begin_w + end_w)
// A negative count removes that many rows (channels, columns) from its side: a crop.
// The backward is the same gather with the counts negated (a crop of the padding):
//   dx[n, c, h, w] = dy[n, c + begin_c, h + begin_h, w + begin_w]  where that is inside dy, else 0
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <array>

namespace vknn {

struct PadParams {
  std::array<int64_t, 3> begin{};  // padding before (C, H, W); negative: crop
  std::array<int64_t, 3> end{};    // padding after (C, H, W); negative: crop
  float value = 0.0f;              // what the padding holds (it gets no gradient)
};

// The output shape, or Errc::invalid_argument naming the op, the pads and x's shape (an x that
// is not a non-empty (N,C,H,W), an output axis that would be empty, a count beyond 2^31).
Result<Shape> pad_output_shape(const char* op, const PadParams& p, const Shape& x);

// y = pad(x); y does not overlap x.
Status record_pad_forward(CommandList& cl, const PadParams& p, const TensorView& x, const TensorView& y);
// dx (+)= crop(dy); dx has x's shape and does not overlap dy; accumulate: dx += instead of dx =.
Status record_pad_backward(CommandList& cl, const PadParams& p, const TensorView& dy, const TensorView& dx,
                           bool accumulate);

// Graph builder: y = pad(x); a failed check fails the graph.
TensorId pad(Graph& g, TensorId x, const PadParams& p, const std::string& name = "pad");
// The parameters of pad()'s node, or nullptr for any other node (for export and rewrites).
const PadParams* pad_params(const Node& n);

}  // namespace vknn
