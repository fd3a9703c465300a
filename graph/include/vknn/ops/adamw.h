// AdamW (Loshchilov & Hutter 2019, decoupled weight decay) as torch.optim.AdamW computes it
// (amsgrad off), element-wise over the weights w, their gradient g and the moment buffers
// m and v (same shape, both starting at zero), at step t = 1, 2, ...:
//   w <- w * (1 - lr * lambda)
//   m <- beta1 * m + (1 - beta1) * g
//   v <- beta2 * v + (1 - beta2) * g^2
//   w <- w - (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The bias corrections 1 - beta1^t and sqrt(1 - beta2^t) are computed in double on the host
// (as PyTorch does in Python) and read as floats; 1 - beta1 and 1 - beta2 likewise.
// Tensors larger than one storage-buffer binding are updated in chunks.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

struct AdamWParams {
  float learning_rate = 1e-3f;  // lr (ignored with step_params)
  double beta1 = 0.9, beta2 = 0.999;
  float eps = 1e-8f;
  float weight_decay = 1e-2f;   // lambda, decoupled: w shrinks by lr * lambda each step
  // The step t this update takes (1-based; ignored with step_params).
  uint32_t step = 1;
  // Optional: a buffer laid out as vknn::StepParams; when given, the learning rate and the
  // bias corrections are read from it at execution time (so a recorded command list follows
  // a schedule and counts steps), and learning_rate and step above are ignored; the gradient
  // is divided by its loss_scale.
  BufferRef step_params;
  // Optional: one float, nonzero when some gradient of the step is not finite (grad_check.h);
  // the update then changes nothing.
  BufferRef overflow;
};

// 1 - beta1^t and sqrt(1 - beta2^t) in double, rounded to float: what the update reads.
void adamw_bias_corrections(const AdamWParams& p, uint32_t t, float& bias_correction1, float& bias_correction2_sqrt);

// w, m and v updated in place from g. w, g, m, v: one shape, pairwise disjoint.
Status record_adamw_update(CommandList& cl, const AdamWParams& p, const TensorView& w, const TensorView& g,
                           const TensorView& m, const TensorView& v);

// Appends an update node (Phase::update) per trainable parameter with a gradient, and its
// state tensors "<param>.exp_avg" and "<param>.exp_avg_sq" (torch.optim.AdamW's names). The
// learning rate and step come from the executor's StepParams: the nodes fill the bias
// corrections there before each step (OpNode::prepare_step), and the gradients are divided by
// its loss_scale. Where the graph has an overflow flag (add_overflow_check, grad_check.h), the
// updates read it and skip the step when it is set.
Status add_adamw(Graph& g, const AdamWParams& p);

}  // namespace vknn
