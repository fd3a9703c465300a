// Reshape (e.g. flatten (N,C,H,W) -> (N,C*H*W) before a fully connected layer): the same
// elements in the same order under another shape. Recorded as a copy into the new tensor,
// which keeps the memory plan's lifetimes simple; the cost is one pass over the data.
#pragma once

#include "vknn/graph/graph.h"

namespace vknn {

TensorId reshape(Graph& g, TensorId x, Shape shape, const std::string& name = "reshape");
// (N, ...) -> (N, product of the rest)
TensorId flatten(Graph& g, TensorId x, const std::string& name = "flatten");

// Whether n is a reshape node (the builder's, or the copy that is its backward: look at the
// node's phase to tell them apart).
bool is_reshape(const Node& n);

}  // namespace vknn
