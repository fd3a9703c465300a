// Gradient overflow check, for mixed-precision training with a loss scale: one flag that is 1
// when any element of the checked fp32 tensors is an inf or a NaN, else 0. The optimizers
// (sgd.h, adamw.h) read it and skip the whole update of a step whose gradients overflowed;
// the host then lowers the loss scale (train::LossScaler, as torch.amp.GradScaler does).
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <span>

namespace vknn {

// flag (one f32) = 1 if some element of some x is not finite, else 0. Each x is f32 and none
// overlaps the flag.
Status record_grad_check(CommandList& cl, std::span<const TensorView> xs, const TensorView& flag);

// Appends, after build_backward and before the optimizer (add_sgd, add_adamw), one update-phase
// node that checks the gradient of every trainable parameter into a new output tensor
// "grad_overflow" (g.grad_overflow), which the optimizers then read. Refused when the graph
// already has one, has no parameter gradient, or runs on several targets.
Status add_overflow_check(Graph& g);

}  // namespace vknn
