// The inference-graph optimizer: a pass over a forward-only graph, before the executor plans
// it, that rewrites it into one computing the same outputs with fewer passes over memory:
//   - batch normalization after a convolution is folded into the convolution's weights and
//     bias (vknn/ops/batchnorm_fold.h). The folded weights are Role::derived tensors written
//     by Phase::prepare nodes, which the executor runs whenever the weights have changed, so
//     initial, loaded and written weights all work and checkpoints keep the original tensors;
//   - a ReLU after a convolution (after folding: conv-BN-ReLU) runs in the convolution's
//     epilogue;
//   - so does a residual add after a convolution, and a ReLU after the add (after folding:
//     ResNet's conv-BN-add-ReLU); the convolution then runs where the add ran, after the
//     shortcut;
//   - dropout, the identity at inference, is dropped: its readers read its input;
//   - a channel concat whose inputs are all written by ops that can write a channel slice
//     (convolutions) and read by nothing else disappears: each producer writes straight
//     into its channels of the concat's output (TensorDesc::channel_slice_of). An input read
//     elsewhere too, or made by another op, keeps the concat (and its copy) as it is.
// Tensor ids stay valid (the rewritten graph has every tensor of the original, plus the
// derived ones); a tensor that becomes unused keeps no memory. A rewrite never removes a
// tensor anyone can read: outputs and the loss and metrics are kept as they are.
// Never for training: build_backward refuses a graph with prepare nodes.
#pragma once

#include "vknn/graph/graph.h"

namespace vknn {

struct InferenceRewrites {
  int batchnorms_folded = 0;
  int relus_fused = 0;
  int residuals_fused = 0;
  int dropouts_removed = 0;
  int concats_removed = 0;
  int total() const { return batchnorms_folded + relus_fused + residuals_fused + dropouts_removed + concats_removed; }
};

// Rewrites g in place. Refuses (Errc::invalid_argument, naming the node) a graph with
// backward, update or prepare nodes, or one whose wiring was refused.
Result<InferenceRewrites> optimize_for_inference(Graph& g);

}  // namespace vknn
