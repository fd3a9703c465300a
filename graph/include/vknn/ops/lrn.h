// Local response normalization across channels (AlexNet), in the 2012 paper's convention:
//   scale[n,c,h,w] = k + alpha * sum_{c'=max(0,c-size/2)}^{min(C-1,c+size/2)} x[n,c',h,w]^2
//   y = x * scale^-beta
// alpha is NOT divided by size. Caffe and PyTorch (nn.LocalResponseNorm) divide it by size,
// so their alpha = paper alpha * size: the paper's alpha=1e-4, n=5 is PyTorch's alpha=5e-4.
// See docs/ops.md.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

enum class LrnVariant {
  automatic,   // the profile's family for KernelClass::lrn: per_column where register-blocked kernels
               // suit the device (size <= kLrnMaxColumnSize), per_element elsewhere (VKNN_LRN=column|element)
  per_element, // one invocation per element, re-reading its window: parallelism for GPUs
  per_column,  // one invocation per (n,h,w) walking the channels with the window in registers
};
inline constexpr int kLrnMaxColumnSize = 15;

struct LrnParams {
  int size = 5;  // channels in the window; odd and positive
  float alpha = 1e-4f, beta = 0.75f, k = 2.0f;  // alpha >= 0, k > 0 (paper: 1e-4, 0.75, 2)
  LrnVariant variant = LrnVariant::automatic;
};

// The variant the record functions use (never automatic); per_column only for size <= kLrnMaxColumnSize.
LrnVariant resolve_lrn_variant(const DeviceProfile& profile, const LrnParams& p);

// x, y, scale: (N,C,H,W). scale is kept for the backward.
Status record_lrn_forward(CommandList& cl, const LrnParams& p, const TensorView& x, const TensorView& y,
                          const TensorView& scale);

// dx = dy * scale^-beta - 2*alpha*beta * x * sum_{j: c in window(j)} dy[j] * x[j] * scale[j]^(-beta-1)
// x, scale (from the forward), dy, dx: (N,C,H,W). accumulate: dx += instead of dx =.
Status record_lrn_backward(CommandList& cl, const LrnParams& p, const TensorView& x, const TensorView& scale,
                           const TensorView& dy, const TensorView& dx, bool accumulate);

// Graph builder: y = lrn(x); the node also keeps `scale` for the backward.
TensorId lrn(Graph& g, TensorId x, const LrnParams& p, const std::string& name = "lrn");

// The parameters of a forward lrn node, or null for any other node.
const LrnParams* lrn_params(const Node& n);

}  // namespace vknn
