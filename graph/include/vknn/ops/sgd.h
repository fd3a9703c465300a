// SGD with momentum and weight decay, element-wise over the weights w, their gradient g and
// the momentum buffer v (same shape), with learning rate eps, momentum mu, weight decay lambda.
// Two named rules:
//   sgd_paper   (Krizhevsky, Sutskever, Hinton 2012, sec. 5):
//                 v <- mu v - lambda eps w - eps g;   w <- w + v
//   sgd_pytorch (torch.optim.SGD, dampening 0, no Nesterov):
//                 g' = g + lambda w;  v <- mu v + g';  w <- w - eps v
// (The two differ in where eps sits: the paper's v is a step, PyTorch's a velocity in
// gradient units, so changing eps mid-run affects them differently.) v starts at zero.
// Tensors larger than one storage-buffer binding (AlexNet fc6: 37.7M floats) are updated in
// chunks.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

namespace vknn {

enum class SgdRule { sgd_paper, sgd_pytorch };

struct SgdParams {
  SgdRule rule = SgdRule::sgd_paper;
  float learning_rate = 0.01f;  // eps
  float momentum = 0.9f;        // mu
  float weight_decay = 5e-4f;   // lambda
  // Optional: a buffer laid out as vknn::StepParams (vknn/graph/graph.h); when given, the
  // learning rate is read from it at execution time (so a recorded command list follows a
  // schedule) and `learning_rate` above is ignored; the gradient is divided by its loss_scale.
  BufferRef step_params;
  // Optional: one float, nonzero when some gradient of the step is not finite (grad_check.h);
  // the update then changes nothing.
  BufferRef overflow;
};

// w and v updated in place from g. w, g, v: one shape, pairwise disjoint.
Status record_sgd_update(CommandList& cl, const SgdParams& p, const TensorView& w, const TensorView& g,
                         const TensorView& v);

// Appends an update node (Phase::update) per trainable parameter with a gradient, and a
// momentum state tensor "<param>.momentum". The learning rate is read at run time from the
// executor's StepParams (p.learning_rate is ignored there), and the gradients are divided by
// its loss_scale. Where the graph has an overflow flag (add_overflow_check, grad_check.h), the
// updates read it and skip the step when it is set.
Status add_sgd(Graph& g, const SgdParams& p);

}  // namespace vknn
