// What every model builder returns, and helpers shared by the model files.
//
// A builder takes an options struct (batch size, classes, input size where it applies,
// `training`, model-specific options) and returns the forward graph with the ids of its
// input "images" (N,C,H,W) fp32, its logits (N,classes) and, when `training`, its labels
// input "labels" (N) int32 with the softmax cross-entropy loss appended (g.loss, g.top1,
// g.top5 set). Builders never run autodiff or add an optimizer: the caller does
// (build_backward, add_sgd), so the same graph serves training and inference.
#pragma once

#include "vknn/graph/graph.h"

#include <cstdint>

namespace vknn::models {

struct Model {
  Graph graph;
  TensorId images;  // "images" (N,C,H,W) fp32
  TensorId labels;  // "labels" (N) int32; invalid unless built with training = true
  TensorId logits;  // (N,classes), Role::output: persistent, readable after run() or infer()
};

// Elements of all Role::parameter tensors (trainable or frozen); BN running statistics
// (Role::state) are not counted, as in the usual published figures.
int64_t count_parameters(const Graph& g);

// What `training` adds to a forward graph whose logits are (N,classes): marks the logits
// Role::output and appends the input "labels" (N) int32 (unless m.labels is set already) and
// the softmax cross-entropy loss "loss" on the logits (g.loss, g.top1, g.top5 set). Wiring
// that does not fit is the graph's error (g.status()).
void append_loss(Model& m, float label_smoothing);

}  // namespace vknn::models
