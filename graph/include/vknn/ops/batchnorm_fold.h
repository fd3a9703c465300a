// Folding inference batch normalization into the convolution before it (Ioffe & Szegedy
// 2015, sec. 3.2: at inference BN is a fixed per-channel affine map, so it composes with the
// convolution's linear map):
//   scale[k] = gamma[k] / sqrt(running_var[k] + eps)
//   w'[k,c,r,s] = w[k,c,r,s] * scale[k]
//   b'[k] = beta[k] + (b[k] - running_mean[k]) * scale[k]      (b = 0 for a bias-free conv)
// so that bn(conv(x, w) + b) = conv(x, w') + b'. It has no gradient: the inference-graph
// optimizer (vknn/graph/optimize.h) runs it as a prepare node whenever the weights change.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

// w, w_out (K, C/G, R, S); b (K) or null for a bias-free convolution; gamma, beta,
// running_mean, running_var, b_out (K). w_out and b_out must not overlap the inputs.
Status record_batchnorm_fold(CommandList& cl, float eps, const TensorView& w, const TensorView* b,
                             const TensorView& gamma, const TensorView& beta, const TensorView& running_mean,
                             const TensorView& running_var, const TensorView& w_out, const TensorView& b_out);

// The prepare node computing (w', b') from (w[, b], gamma, beta, running_mean, running_var).
std::shared_ptr<const OpNode> make_batchnorm_fold_node(float eps, bool has_bias);

}  // namespace vknn
