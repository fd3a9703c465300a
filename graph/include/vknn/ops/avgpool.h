// 2-D average pooling (window geometry: Pool2dParams in vknn/ops/maxpool.h) and global
// average pooling (ResNet's head: 7x7 -> 1 at 224 input, 8x8 -> 1 for CIFAR nets).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"
#include "vknn/ops/maxpool.h"

namespace vknn {

struct AvgPool2dParams : Pool2dParams {
  // true (PyTorch's default): divide by kernel_h*kernel_w, padding counting as zeros;
  // false: divide by the number of in-bounds elements of the window.
  bool count_include_pad = true;
};

// y = sum of the window's in-bounds elements / divisor. x: (N,C,H,W); y: (N,C,OH,OW).
Status record_avgpool_forward(CommandList& cl, const AvgPool2dParams& p, const TensorView& x, const TensorView& y);

// dx[n,c,i] = sum over the windows w covering i of dy[w] / divisor(w) (a gather).
// dy: (N,C,OH,OW); dx: (N,C,H,W). accumulate: dx += instead of dx =.
Status record_avgpool_backward(CommandList& cl, const AvgPool2dParams& p, const TensorView& dy, const TensorView& dx,
                               bool accumulate);

// y[n,c] = mean over h,w of x[n,c,h,w]. x: (N,C,H,W); y: (N,C) or (N,C,1,1).
Status record_global_avgpool_forward(CommandList& cl, const TensorView& x, const TensorView& y);

// dx[n,c,h,w] = dy[n,c] / (H*W). dy: (N,C) or (N,C,1,1); dx: (N,C,H,W).
// accumulate: dx += instead of dx =.
Status record_global_avgpool_backward(CommandList& cl, const TensorView& dy, const TensorView& dx, bool accumulate);

// Graph builders: y = avgpool(x), and global average pooling (N,C,H,W) -> (N,C).
TensorId avgpool(Graph& g, TensorId x, const AvgPool2dParams& p, const std::string& name = "avgpool");
TensorId global_avgpool(Graph& g, TensorId x, const std::string& name = "avgpool");

// The parameters of a forward avgpool node, or null for any other node (a global one too).
const AvgPool2dParams* avgpool_params(const Node& n);
// Whether n is a forward global_avgpool node.
bool is_global_avgpool(const Node& n);

}  // namespace vknn
