// Shared by the graph rewrites (placement.cpp, optimize.cpp), private to the graph library.
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
  return out;
}

}  // namespace vknn::detail
