// Shared by the graph rewrites (placement.cpp, optimize.cpp, channel_slice.cpp), private to
// the graph library.
#pragma once

#include "vknn/graph/graph.h"

namespace vknn::detail {

// A graph holding g's tensors under the same ids (with no producers yet) and its loss and
// metric ids, but no nodes: a rewrite then adds the nodes again, changed where it needs.
inline Graph tensors_only(const Graph& g) {
  Graph out;
  for (const TensorDesc& d : g.tensors()) {
    TensorId t = out.tensor(d.name, d.shape, d.role, d.dtype);
    TensorDesc& nd = out.desc(t);
    nd = d;
    nd.producer = -1;
  }
  out.loss = g.loss, out.top1 = g.top1, out.top5 = g.top5, out.invalid_labels = g.invalid_labels;
  out.grad_overflow = g.grad_overflow;
  return out;
}

// Whether someone outside the graph can read t (any tensor but an activation, and the loss
// and metrics): a rewrite never removes or moves such a tensor.
inline bool visible_outside(const Graph& g, TensorId t) {
  return g.desc(t).role != Role::activation || t == g.loss || t == g.top1 || t == g.top5 || t == g.invalid_labels;
}

}  // namespace vknn::detail
