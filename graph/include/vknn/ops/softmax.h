// Softmax and log-softmax over one axis, forward and backward. x is viewed as (outer, K, inner):
//   the axis itself:        outer = prod(dims before axis), K = dims[axis], inner = prod(dims after axis)
//   flatten (ONNX before opset 13, x coerced to 2-D at axis):
//                           outer = prod(dims before axis), K = prod(dims from axis on), inner = 1
// and normalized along K, stably (the row's maximum m subtracted first):
//   softmax:      y_k = exp(x_k - m) / s,         s = sum_j exp(x_j - m)
//   log_softmax:  y_k = x_k - m - log(s)
// The backward reads the forward's output y (torch's _softmax_backward_data does the same):
//   softmax:      dx_k = y_k * (dy_k - sum_j dy_j y_j)
//   log_softmax:  dx_k = dy_k - exp(y_k) * sum_j dy_j
// Rows of contiguous elements (inner = 1: the last axis, or the flattened form) of at least a
// subgroup's width take one subgroup each where the device reduces within subgroups
// (DeviceProfile::softmax_subgroup): a classifier's (N,1000) output, attention rows. Other rows
// take one invocation each, a loop over K: a channel softmax over (N,C,H,W), whose neighbouring
// rows are neighbouring pixels. A row too long for one invocation's loops on the driver
// (DeviceProfile::loop_fits) takes a subgroup where it can, and is refused otherwise.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <cstdint>

namespace vknn {

struct SoftmaxParams {
  int64_t axis = -1;     // in [-rank, rank); negative counts from the end
  bool log = false;      // log_softmax
  bool flatten = false;  // over every axis from `axis` on (ONNX Softmax before opset 13)
};

// The (outer, K, inner) view of x.
struct SoftmaxLayout {
  int64_t outer = 1, k = 1, inner = 1;
};
// The view, or Errc::invalid_argument naming `op`, the axis and the shape for an axis outside
// [-rank, rank) or an empty x.
Result<SoftmaxLayout> softmax_layout(const char* op, const SoftmaxParams& p, const Shape& x);

// Whether rows of this layout run one subgroup each on this device (see above).
bool softmax_subgroup_rows(const DeviceProfile& profile, const SoftmaxLayout& l);

// y = softmax(x) (or log_softmax). y has x's shape and does not overlap it.
Status record_softmax_forward(CommandList& cl, const SoftmaxParams& p, const TensorView& x, const TensorView& y);

// dx (+)= the gradient through the forward that wrote y, see above. y, dy and dx have one shape;
// dx overlaps neither y nor dy. accumulate: dx += instead of dx =.
Status record_softmax_backward(CommandList& cl, const SoftmaxParams& p, const TensorView& y, const TensorView& dy,
                               const TensorView& dx, bool accumulate);

// Graph builder: y = softmax(x) (or log_softmax), a new tensor of x's shape; y is kept for the
// backward. A refused axis fails the graph.
TensorId softmax(Graph& g, TensorId x, const SoftmaxParams& p = {}, const std::string& name = "softmax");

// The parameters of a forward softmax node, or null for any other node.
const SoftmaxParams* softmax_params(const Node& n);

}  // namespace vknn
