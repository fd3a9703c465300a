// ReLU.
//   forward:  y = max(x, 0)
//   backward: dx = dy * [y > 0]        (from the forward's output, so the forward may run in
//                                       place and x need not be kept; [y > 0] == [x > 0])
// The derivative at exactly 0 is taken as 0. accumulate: dx += instead of dx =.
// Tensors of any rank and shape; larger than one storage-buffer binding is processed in
// chunks. fp16 storage (precision.h): the forward takes x and y both fp16 or both fp32; the
// backward takes y in either, the gradients fp32 (the mask of an fp16 y is the fp32 one's).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

// y = max(x, 0). y has x's shape; it may be x itself (in place) but not partially overlap it.
Status record_relu_forward(CommandList& cl, const TensorView& x, const TensorView& y);

// dx (+)= dy * [y > 0]. y, dy, dx have one shape. dx may be dy itself (in place) when not
// accumulating; that is record_relu_backward_inplace.
Status record_relu_backward(CommandList& cl, const TensorView& y, const TensorView& dy, const TensorView& dx,
                            bool accumulate);

// grad = grad * [y > 0] in place: grad holds dy on entry and dx on exit (the gradient of a
// fused "op + ReLU" before the op's own backward, e.g. linear with relu = true).
Status record_relu_backward_inplace(CommandList& cl, const TensorView& y, const TensorView& grad);

// Graph builder: y = max(x, 0).
TensorId relu(Graph& g, TensorId x, const std::string& name = "relu");
// Whether n is a forward ReLU node (x -> y).
bool is_relu(const Node& n);
// The node computing dx (+)= dy·[y > 0] from (y, dy); used by ops with a fused ReLU.
std::shared_ptr<const OpNode> make_relu_backward_node(bool accumulate);

}  // namespace vknn
