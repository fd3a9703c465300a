#include "vknn/models/model.h"

#include "vknn/ops/softmax_xent.h"

namespace vknn::models {

int64_t count_parameters(const Graph& g) {
  int64_t n = 0;
  for (const TensorDesc& d : g.tensors())
    if (d.role == Role::parameter) n += d.shape.numel();
  return n;
}

void append_loss(Model& m, float label_smoothing) {
  Graph& g = m.graph;
  g.desc(m.logits).role = Role::output;
  if (!m.labels.valid()) m.labels = g.input("labels", {g.shape(m.logits)[0]}, DType::i32);
  SoftmaxXentParams xent;
  xent.label_smoothing = label_smoothing;
  softmax_cross_entropy(g, m.logits, m.labels, "loss", xent);
}

}  // namespace vknn::models
