// Inverted dropout with a counter-based mask (never stored):
//   rate p in [0, 1), scale = 1 / (1 - p) (rounded to fp32)
//   u_i = float(philox4x32_10(counter = {i, step, 0, 0}, key = {uint32(seed), uint32(seed >> 32)})[0] >> 8) * 2^-24
//   keep_i = u_i >= p
//   forward:  y_i = keep_i ? x_i * scale : 0
//   backward: dx_i = keep_i ? dy_i * scale : 0   (the mask recomputed from seed and step)
// i is the element's index in the flattened tensor. Not training, or p = 0: y = x, dx = dy.
// The same (seed, step) gives the same mask, so the backward of a step must use the forward's.
// Philox4x32-10 is in vknn/ops/philox.h (CPU) and shaders/common/philox.glsl (GPU); the two
// masks agree bit for bit.
#pragma once

#include "vknn/engine/commands.h"
#include "vknn/graph/graph.h"
#include "vknn/graph/tensor.h"

#include <cstdint>

namespace vknn {

struct DropoutParams {
  float rate = 0.5f;     // p, in [0, 1)
  uint64_t seed = 0;
  uint32_t step = 0;
  bool training = true;  // false: identity
  // Optional: a buffer laid out as vknn::StepParams (vknn/graph/graph.h). When given, the
  // shader reads step, seed and training (ANDed with `training` above) from it at execution
  // time, so one recorded command list draws a fresh mask every step. `step` above is then
  // ignored and the mask's seed is StepParams' seed XOR `seed` above: give each dropout layer
  // its own `seed` (e.g. a hash of its name), or layers of equal size share one mask.
  BufferRef step_params;
  // Added to each element's index to make its Philox counter: a data-parallel rank's slice
  // begins at sample s of the global batch, so its counters begin at s * (elements per sample).
  uint64_t counter_offset = 0;
};

// y = dropout(x). y has x's shape and may be x itself (in place).
Status record_dropout_forward(CommandList& cl, const DropoutParams& p, const TensorView& x, const TensorView& y);

// dx (+)= dropout mask applied to dy, with the forward's parameters. dx may be dy itself when
// not accumulating.
Status record_dropout_backward(CommandList& cl, const DropoutParams& p, const TensorView& dy, const TensorView& dx,
                               bool accumulate);

// Graph builder: dropout at `rate` in the training pass, the identity in the inference pass.
// The mask is keyed by the run's seed salted with a hash of the node name, and by the step.
TensorId dropout(Graph& g, TensorId x, float rate, const std::string& name = "dropout");
// Whether n is a forward dropout node (x -> y).
bool is_dropout(const Node& n);

}  // namespace vknn
