// Helpers shared by the model files (private to vknn_models).
#pragma once

#include "vknn/models/model.h"
#include "vknn/ops/softmax_xent.h"

#include <cmath>
#include <string>

namespace vknn::models::detail {

// "images" (N,C,H,W) fp32, and "labels" (N) int32 when training.
inline void add_inputs(Model& m, int64_t batch, int64_t channels, int64_t size, bool training) {
  VKNN_CHECK(batch > 0, "model: batch must be positive, got {}", batch);
  m.images = m.graph.input("images", {batch, channels, size, size});
  if (training) m.labels = m.graph.input("labels", {batch}, DType::i32);
}

// Marks the logits Role::output (persistent, so Executor::read works after run/infer) and
// appends the loss when training.
inline void add_loss(Model& m, float label_smoothing) {
  if (m.labels.valid()) append_loss(m, label_smoothing);
  else m.graph.desc(m.logits).role = Role::output;
}

// torchvision's conv init: kaiming_normal_(mode='fan_out', nonlinearity='relu').
inline Init kaiming_fan_out(int64_t out_channels, int64_t kh, int64_t kw) {
  return Init::normal(float(std::sqrt(2.0 / double(out_channels * kh * kw))));
}

// PyTorch's default Linear/Conv init bound: 1/sqrt(fan_in).
inline Init pytorch_default(int64_t fan_in) { return Init::uniform(float(1.0 / std::sqrt(double(fan_in)))); }

}  // namespace vknn::models::detail
